package dev.evomerge.model;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.fasterxml.jackson.databind.JsonNode;
import dev.evomerge.io.Checkpoint;
import dev.evomerge.io.CheckpointException;
import dev.evomerge.io.ModelConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * A checkpoint's tokenizer: {@code tokenizer.json} through DJL's Hugging Face tokenizers (a
 * native library inside the jar, nothing downloaded). The beginning-of-sequence token is added
 * here, not by the tokenizer's post-processor, following {@code tokenizer_config.json}'s
 * {@code add_bos_token} (Llama tokenizers default to true, others to false), so every model
 * family gets exactly one BOS or none.
 */
public final class Tokenizer implements AutoCloseable {
    static {
        Djl.init(); // offline before DJL's engine loads
    }

    private final HuggingFaceTokenizer tokenizer;
    private final Integer bosId;
    private final boolean addBos;

    private Tokenizer(HuggingFaceTokenizer tokenizer, Integer bosId, boolean addBos) {
        this.tokenizer = tokenizer;
        this.bosId = bosId;
        this.addBos = addBos;
    }

    /** The tokenizer of the checkpoint directory {@code dir}, whose config.json gives the BOS id. */
    public static Tokenizer load(Path dir, ModelConfig config) {
        return load(dir, config == null ? null : config.bosTokenId());
    }

    /**
     * A tokenizer directory without a model (tokenizer.json, tokenizer_config.json): the BOS id is
     * {@code bosId}, or else the id tokenizer.json gives tokenizer_config.json's {@code bos_token}.
     */
    public static Tokenizer load(Path dir, Integer bosId) {
        Path json = dir.resolve("tokenizer.json");
        if (!Files.isRegularFile(json)) {
            throw new CheckpointException(dir.toString(), "no tokenizer.json (only the fast-tokenizer format is supported)");
        }
        JsonNode tokenizerConfig = Checkpoint.readOptionalJson(dir.resolve("tokenizer_config.json"));
        boolean addBos;
        if (tokenizerConfig != null && tokenizerConfig.has("add_bos_token")) {
            addBos = tokenizerConfig.get("add_bos_token").asBoolean();
        } else {
            addBos = tokenizerConfig != null && tokenizerConfig.path("tokenizer_class").asText("").contains("Llama");
        }
        Integer bos = bosId != null ? bosId : addedTokenId(json, tokenizerConfig == null ? null
                : tokenizerConfig.path("bos_token").asText(null));
        try {
            HuggingFaceTokenizer hf = HuggingFaceTokenizer.newInstance(json, Map.of(
                    "addSpecialTokens", "false", "padding", "false", "truncation", "false"));
            return new Tokenizer(hf, bos, addBos && bos != null);
        } catch (IOException | RuntimeException e) {
            throw new CheckpointException(json.toString(), "cannot load tokenizer: " + e.getMessage(), e);
        }
    }

    private static Integer addedTokenId(Path tokenizerJson, String content) {
        if (content == null) {
            return null;
        }
        for (JsonNode t : Checkpoint.readOptionalJson(tokenizerJson).path("added_tokens")) {
            if (content.equals(t.path("content").asText())) {
                return t.path("id").asInt();
            }
        }
        return null;
    }

    /** Token ids of {@code text}, with BOS first when the checkpoint asks for it. */
    public long[] encode(String text) {
        return encode(text, addBos);
    }

    public long[] encode(String text, boolean withBos) {
        long[] ids = tokenizer.encode(text, false, false).getIds();
        if (!withBos || bosId == null) {
            return ids;
        }
        long[] out = new long[ids.length + 1];
        out[0] = bosId;
        System.arraycopy(ids, 0, out, 1, ids.length);
        return out;
    }

    /** Text of {@code ids}, special tokens skipped. */
    public String decode(long[] ids) {
        return tokenizer.decode(ids, true);
    }

    public boolean addsBos() {
        return addBos;
    }

    public Integer bosId() {
        return bosId;
    }

    @Override
    public void close() {
        tokenizer.close();
    }
}
