package dev.evomerge.merge;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.evomerge.io.Checkpoint;
import dev.evomerge.io.CheckpointException;
import dev.evomerge.io.DType;
import dev.evomerge.io.MappedBuffers;
import dev.evomerge.io.ShardedWriter;
import dev.evomerge.io.TensorInfo;
import dev.evomerge.io.TensorSpec;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The output of a merge with a vision-language model among its inputs: a VLM again, as EvoVLM-JP
 * is LLaVA-1.6-Mistral with its language model merged with Shisa Gamma's. Everything that merges
 * sees only language models (a LLaVA opens as one, {@link dev.evomerge.io.LlavaLayout}); here
 * the merged language model goes back under the VLM's tensor names, and the VLM's vision tower,
 * projector and {@code image_newline} are written as stored, byte for byte. The VLM is the first
 * among the recipe's inputs (the base first); a second VLM's vision tensors are not merged
 * (mergekit's multi-module merges are refused: {@link MergeConfig}).
 */
final class VlmOutput {
    /** Files of a VLM's processor, copied with it: transformers' AutoProcessor reads them. */
    static final List<String> PROCESSOR_FILES = List.of("preprocessor_config.json", "processor_config.json", "chat_template.json");

    private final Checkpoint vlm;

    private VlmOutput(Checkpoint vlm) {
        this.vlm = vlm;
    }

    /** The first VLM among {@code locations}, or null when every input is a language model. */
    static VlmOutput of(List<String> locations, Function<String, Checkpoint> open) {
        for (String location : locations) {
            Checkpoint c = open.apply(location);
            if (c.vlm() != null) {
                return new VlmOutput(c);
            }
        }
        return null;
    }

    Checkpoint checkpoint() {
        return vlm;
    }

    /**
     * Refuses inputs whose tokenizers number the same tokens differently from the VLM's (a merge
     * of their embeddings row by row would mix different tokens). Tokens only one side has (the
     * VLM's {@code <image>}) are fine; an input without tokenizer.json is taken as it is.
     */
    void requireSharedVocabulary(List<String> locations, Function<String, Checkpoint> open) {
        Map<String, Integer> own = vocabulary(vlm);
        if (own == null) {
            return;
        }
        for (String location : locations) {
            Map<String, Integer> other = vocabulary(open.apply(location));
            if (other == null || other == own) {
                continue;
            }
            for (Map.Entry<String, Integer> e : other.entrySet()) {
                Integer id = own.get(e.getKey());
                if (id != null && !id.equals(e.getValue())) {
                    throw new CheckpointException(location, "tokenizer.json: token '" + e.getKey() + "' is id " + e.getValue()
                            + " here but " + id + " in " + vlm.dir() + ": the language models do not share a vocabulary "
                            + "(give tokenizer: {source: ...} to build one)");
                }
            }
        }
    }

    private final Map<Checkpoint, Map<String, Integer>> vocabularies = new java.util.IdentityHashMap<>();

    /** tokenizer.json's tokens and ids, regular and added ({@link Vocabulary#vocab}); null without a tokenizer.json. */
    private Map<String, Integer> vocabulary(Checkpoint c) {
        return vocabularies.computeIfAbsent(c, k -> {
            JsonNode json = Checkpoint.readOptionalJson(k.dir().resolve("tokenizer.json"));
            return json == null ? null : Vocabulary.vocab(json, Integer.MAX_VALUE);
        });
    }

    /** What the writer writes: the language model's tensors under the VLM's names, then the VLM's own as stored. */
    List<TensorSpec> specs(List<TensorSpec> language) {
        List<TensorSpec> out = new ArrayList<>();
        language.forEach(s -> out.add(new TensorSpec(stored(s.name()), s.dtype(), s.shape())));
        for (TensorInfo t : vlm.vlmTensors().values()) {
            out.add(new TensorSpec(t.name(), t.dtype(), t.shape()));
        }
        return out;
    }

    /** A language-model tensor's name in the output. */
    String stored(String languageName) {
        return vlm.vlm().storedName(languageName);
    }

    /** The VLM's own tensors, byte for byte as it stores them; after the language model's. */
    void writeOwnTensors(ShardedWriter writer) {
        for (String name : vlm.vlmTensors().keySet()) {
            ByteBuffer raw = vlm.vlmBytes(name);
            writer.write(name, raw);
            MappedBuffers.unmap(raw);
        }
    }

    /** The VLM's config.json with the merged language model's config as its text_config. */
    ObjectNode config(ObjectNode languageConfig, DType dtype) {
        return vlm.vlm().withTextConfig(languageConfig, dtype.torchName());
    }

    /** The VLM's processor files (image preprocessing, the processor's chat template). */
    void copyProcessorFiles(Path dir) throws IOException {
        for (String f : PROCESSOR_FILES) {
            if (Files.isRegularFile(vlm.dir().resolve(f))) {
                Files.copy(vlm.dir().resolve(f), dir.resolve(f));
            }
        }
    }
}
