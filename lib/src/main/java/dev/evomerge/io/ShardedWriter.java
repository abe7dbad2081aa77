package dev.evomerge.io;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Writes a model's weights into a directory the way Hugging Face does: one
 * {@code model.safetensors} when everything fits in one shard, otherwise
 * {@code model-00001-of-0000N.safetensors} files plus {@code model.safetensors.index.json}
 * with {@code metadata.total_size} and a {@code weight_map}. Tensors are streamed in the
 * order given; a shard is closed as soon as its last tensor is written.
 */
public final class ShardedWriter implements AutoCloseable {
    /** mergekit's default {@code out_shard_size} ("5B"). */
    public static final long DEFAULT_MAX_SHARD_BYTES = 5_000_000_000L;
    public static final String SINGLE_FILE = "model.safetensors";
    public static final String INDEX_FILE = "model.safetensors.index.json";

    private final Path dir;
    private final List<List<TensorSpec>> shards;
    private int shard = -1;
    private SafetensorsWriter current;

    public ShardedWriter(Path dir, List<TensorSpec> tensors, long maxShardBytes) {
        this.dir = dir;
        this.shards = planShards(tensors, maxShardBytes);
    }

    /**
     * Greedy split in order, as transformers does: a tensor starts a new shard when it would
     * push the current one over the limit; a tensor larger than the limit gets a shard of its own.
     */
    public static List<List<TensorSpec>> planShards(List<TensorSpec> tensors, long maxShardBytes) {
        if (maxShardBytes <= 0) {
            throw new IllegalArgumentException("max shard size must be positive, got " + maxShardBytes);
        }
        List<List<TensorSpec>> shards = new ArrayList<>();
        List<TensorSpec> open = new ArrayList<>();
        long openBytes = 0;
        for (TensorSpec t : tensors) {
            if (!open.isEmpty() && openBytes + t.byteSize() > maxShardBytes) {
                shards.add(open);
                open = new ArrayList<>();
                openBytes = 0;
            }
            open.add(t);
            openBytes += t.byteSize();
        }
        if (!open.isEmpty() || shards.isEmpty()) {
            shards.add(open);
        }
        return shards;
    }

    public static String shardFileName(int index, int count) {
        return count == 1 ? SINGLE_FILE : String.format("model-%05d-of-%05d.safetensors", index + 1, count);
    }

    public int shardCount() {
        return shards.size();
    }

    /** Writes the next tensor in plan order. */
    public void write(String name, ByteBuffer data) {
        while (current == null || current.nextTensor() == null) {
            openNextShard(name);
        }
        current.write(name, data);
    }

    private void openNextShard(String name) {
        if (current != null) {
            current.finish();
        }
        if (shard + 1 >= shards.size()) {
            throw new IllegalStateException(dir + ": tensor '" + name + "' is not in the write plan");
        }
        shard++;
        current = SafetensorsWriter.create(dir.resolve(shardFileName(shard, shards.size())), shards.get(shard));
    }

    /** Closes the last shard and writes the index (for more than one shard). */
    public void finish() {
        while (shard + 1 < shards.size() || current == null) {
            openNextShard("(none)"); // a plan's empty trailing shard still needs its file
        }
        current.finish();
        if (shards.size() > 1) {
            writeIndex();
        }
    }

    private void writeIndex() {
        Map<String, String> weightMap = new TreeMap<>();
        long total = 0;
        for (int i = 0; i < shards.size(); i++) {
            for (TensorSpec t : shards.get(i)) {
                weightMap.put(t.name(), shardFileName(i, shards.size()));
                total += t.byteSize();
            }
        }
        Map<String, Object> index = new LinkedHashMap<>();
        index.put("metadata", Map.of("total_size", total));
        index.put("weight_map", weightMap);
        try {
            new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
                    .writeValue(dir.resolve(INDEX_FILE).toFile(), index);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + dir.resolve(INDEX_FILE) + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        if (current != null) {
            current.close();
        }
    }
}
