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
        VlmOutput vlm = VlmOutput.of(cfg.inputs(), plan::opened);
        try (ShardedWriter writer = new ShardedWriter(dir, vlm == null ? specs : vlm.specs(specs), ShardedWriter.DEFAULT_MAX_SHARD_BYTES)) {
            for (MergePlan.OutputTensor o : plan.tensors()) {
                String name = vlm == null ? o.spec().name() : vlm.stored(o.spec().name());
                if (o.values() == null) {
                    ByteBuffer raw = o.rawSource().bytes(o.rawName());
                    writer.write(name, raw); // integer tensors pass through
                    MappedBuffers.unmap(raw);
                } else {
                    writer.write(name, TensorBytes.fromFloats(o.values().get(), dtype));
                }
            }
            if (vlm != null) {
                vlm.writeOwnTensors(writer);
            }
            writer.finish();
        }
        writeSideFiles(cfg, dir, vlm == null ? plan.configJson(dtype) : vlm.config(plan.configJson(dtype), dtype), plan, vlm);
    }

    private static DType storedDtype(Checkpoint c) {
        return c.tensors().values().stream().map(TensorInfo::dtype).filter(DType::isFloatingPoint).findFirst().orElse(DType.F32);
    }

    /** With a VLM among the inputs, its tokenizer (which has the image token) unless the recipe builds one, and its processor files. */
    private static void writeSideFiles(MergeConfig cfg, Path dir, ObjectNode config, MergePlan plan, VlmOutput vlm) {
        try {
            Files.writeString(dir.resolve("config.json"), config.toPrettyString());
            if (plan.vocabulary().active()) {
                plan.vocabulary().writeFiles(dir);
            } else {
                for (Path f : (vlm != null ? vlm.checkpoint() : plan.tokenizer()).tokenizerFiles()) {
                    Files.copy(f, dir.resolve(f.getFileName()));
                }
            }
            if (vlm != null) {
                vlm.copyProcessorFiles(dir);
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
