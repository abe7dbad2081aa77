package dev.evomerge.io;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;

/**
 * A checkpoint's config and tensor table read where it lies (file://, hdfs://, s3a://) without
 * fetching a single weight: config.json and the first bytes of each safetensors file. What a dry
 * run checks before anybody spends GPU hours.
 */
public record CheckpointHeaders(String location, ModelConfig config, Map<String, TensorInfo> tensors, long weightBytes) {

    public static CheckpointHeaders read(Storage storage, String location) {
        List<FileStatus> files = storage.listFiles(location);
        PickleGuard.refuseIfOnlyPickles(location, files.stream().map(f -> f.getPath().getName()).toList());
        FileSystem fs = storage.fileSystem(location);
        byte[] configJson = null;
        String configWhere = null;
        Map<String, TensorInfo> tensors = new LinkedHashMap<>();
        long bytes = 0;
        for (FileStatus f : files) {
            String name = f.getPath().getName();
            String where = f.getPath().toString();
            try (FSDataInputStream in = fs.open(f.getPath())) {
                if (name.equals("config.json")) {
                    configJson = in.readAllBytes();
                    configWhere = where;
                } else if (name.endsWith(".safetensors")) {
                    SafetensorsHeader.checkFileSize(where, f.getLen());
                    byte[] length = new byte[8];
                    in.readFully(0, length);
                    long headerLength = SafetensorsHeader.checkHeaderLength(where,
                            ByteBuffer.wrap(length).order(ByteOrder.LITTLE_ENDIAN).getLong(), f.getLen());
                    byte[] header = new byte[(int) headerLength];
                    in.readFully(8, header);
                    for (TensorInfo t : SafetensorsHeader.parse(where, header, f.getLen()).tensors().values()) {
                        if (tensors.put(t.name(), t) != null) {
                            throw new CheckpointException(where, "tensor '" + t.name() + "': also in another shard");
                        }
                    }
                    bytes += f.getLen() - 8 - headerLength;
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read " + where + ": " + e.getMessage(), e);
            }
        }
        if (configJson == null) {
            throw new CheckpointException(location, "no config.json in the checkpoint directory");
        }
        if (tensors.isEmpty()) {
            throw new CheckpointException(location, "no .safetensors weights in the checkpoint directory");
        }
        com.fasterxml.jackson.databind.JsonNode raw = Checkpoint.parseJson(configWhere, configJson);
        if (raw.isObject() && LlavaLayout.isVlm(raw)) { // as Checkpoint sees a VLM: its language model; every weight counted
            LlavaLayout layout = LlavaLayout.of(location, (com.fasterxml.jackson.databind.node.ObjectNode) raw, tensors.keySet());
            return new CheckpointHeaders(location, layout.languageConfig(configWhere), layout.languageTensors(tensors.values()), bytes);
        }
        return new CheckpointHeaders(location, ModelConfig.parse(configWhere, configJson), tensors, bytes);
    }

    public long parameters() {
        return tensors.values().stream().mapToLong(TensorInfo::numel).sum();
    }
}
