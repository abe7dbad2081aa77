package dev.evomerge.merge;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.evomerge.io.AtomicFiles;
import dev.evomerge.io.Checkpoint;
import dev.evomerge.io.DType;
import dev.evomerge.io.MappedBuffers;
import dev.evomerge.io.ShardedWriter;
import dev.evomerge.io.TensorBytes;
import dev.evomerge.io.TensorInfo;
import dev.evomerge.io.TensorSpec;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Writes a planned merge as a Hugging Face checkpoint into a directory: the tensors, one at a
 * time, in the output dtype (integer tensors copied raw), sharded as transformers shards; the
 * reference's config.json with the output's dtype and depth; the tokenizer files of the
 * tokenizer source; generation_config.json; the recipe as {@code mergekit_config.yml}; the
 * model card ({@link ModelCard}).
 */
final class MergedCheckpoint {
    private MergedCheckpoint() {
    }

    static void write(MergeConfig cfg, MergePlan plan, Path dir) {
        DType dtype = cfg.outputDtype() != null ? cfg.outputDtype() : storedDtype(plan.reference());
        List<TensorSpec> specs = plan.tensors().stream().map(o -> new TensorSpec(o.spec().name(),
                o.spec().dtype().isFloatingPoint() ? dtype : o.spec().dtype(), o.spec().shape())).toList();
        try (ShardedWriter writer = new ShardedWriter(dir, specs, ShardedWriter.DEFAULT_MAX_SHARD_BYTES)) {
            for (MergePlan.OutputTensor o : plan.tensors()) {
                if (o.values() == null) {
                    ByteBuffer raw = o.rawSource().bytes(o.rawName());
                    writer.write(o.spec().name(), raw); // integer tensors pass through
                    MappedBuffers.unmap(raw);
                } else {
                    writer.write(o.spec().name(), TensorBytes.fromFloats(o.values().get(), dtype));
                }
            }
            writer.finish();
        }
        writeSideFiles(cfg, dir, plan.configJson(dtype), plan);
    }

    private static DType storedDtype(Checkpoint c) {
        return c.tensors().values().stream().map(TensorInfo::dtype).filter(DType::isFloatingPoint).findFirst().orElse(DType.F32);
    }

    private static void writeSideFiles(MergeConfig cfg, Path dir, ObjectNode config, MergePlan plan) {
        try {
            Files.writeString(dir.resolve("config.json"), config.toPrettyString());
            if (plan.vocabulary().active()) {
                plan.vocabulary().writeFiles(dir);
            } else {
                for (Path f : plan.tokenizer().tokenizerFiles()) {
                    Files.copy(f, dir.resolve(f.getFileName()));
                }
            }
            ChatTemplate.write(cfg, dir, plan);
            Path generation = plan.reference().dir().resolve("generation_config.json");
            if (Files.isRegularFile(generation)) {
                Files.copy(generation, dir.resolve("generation_config.json"));
            }
            Files.writeString(dir.resolve("mergekit_config.yml"), cfg.toYaml());
            AtomicFiles.writeString(dir.resolve("README.md"), ModelCard.of(cfg));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + dir + ": " + e.getMessage(), e);
        }
    }
}
