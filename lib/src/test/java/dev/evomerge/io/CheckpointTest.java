package dev.evomerge.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.evomerge.Fixtures;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckpointTest {
    @TempDir
    Path tmp;

    @Test
    void bundledStories260KOpensWithItsArchitecture() {
        try (Checkpoint c = Checkpoint.open(Fixtures.model("stories260K"))) {
            ModelConfig cfg = c.config();
            assertEquals("llama", cfg.modelType());
            assertEquals(64, cfg.hiddenSize());
            assertEquals(5, cfg.numHiddenLayers());
            assertEquals(8, cfg.numAttentionHeads());
            assertEquals(4, cfg.numKeyValueHeads());
            assertEquals(8, cfg.headDim());
            assertEquals(512, cfg.vocabSize());
            assertTrue(cfg.tieWordEmbeddings());
            assertEquals(List.of(2), cfg.eosTokenIds());
            // Hand count: embeddings 512*64; per layer q,o 64*64, k,v 32*64, mlp 3*64*172, 2 norms; final norm.
            long perLayer = 2 * 64 * 64 + 2 * 32 * 64 + 3 * 64 * 172 + 2 * 64;
            assertEquals(512 * 64 + 5 * perLayer + 64, c.parameterCount());
            assertEquals(260_032, c.parameterCount());
            assertFalse(c.contains("lm_head.weight"), "tied head is not stored");
            assertEquals(List.of("tokenizer.json", "tokenizer_config.json"),
                    c.tokenizerFiles().stream().map(p -> p.getFileName().toString()).toList());
            assertNull(c.generationConfig());
            float[] norm = c.floats("model.norm.weight");
            assertEquals(64, norm.length);
        }
    }

    @Test
    void pickledCheckpointsAreRefusedWithAWayOut() throws IOException {
        Path dir = Files.createDirectory(tmp.resolve("pickled"));
        Files.copy(Fixtures.model("stories260K").resolve("config.json"), dir.resolve("config.json"));
        Files.write(dir.resolve("pytorch_model.bin"), new byte[] {(byte) 0x80, 2}); // a pickle protocol header
        CheckpointException e = assertThrows(CheckpointException.class, () -> Checkpoint.open(dir));
        assertTrue(e.getMessage().contains("'pytorch_model.bin' is a pickled PyTorch checkpoint"), e.getMessage());
        assertTrue(e.getMessage().contains("convert it to safetensors"), e.getMessage());
        CheckpointException file = assertThrows(CheckpointException.class,
                () -> Checkpoint.open(dir.resolve("pytorch_model.bin")));
        assertTrue(file.getMessage().contains("pickled"), file.getMessage());
    }

    @Test
    void aPickleBesideSafetensorsIsIgnoredNotLoaded() throws IOException {
        Path dir = copyOfStories();
        Files.write(dir.resolve("pytorch_model.bin"), new byte[] {(byte) 0x80, 2});
        try (Checkpoint c = Checkpoint.open(dir)) {
            assertEquals(260_032, c.parameterCount());
        }
    }

    @Test
    void missingDirectoryConfigOrWeightsAreNamed() throws IOException {
        assertTrue(assertThrows(CheckpointException.class, () -> Checkpoint.open(tmp.resolve("nope")))
                .getMessage().endsWith("no such checkpoint directory"));
        Path empty = Files.createDirectory(tmp.resolve("empty"));
        assertTrue(assertThrows(CheckpointException.class, () -> Checkpoint.open(empty))
                .getMessage().endsWith("no config.json in the checkpoint directory"));
        Files.copy(Fixtures.model("stories260K").resolve("config.json"), empty.resolve("config.json"));
        assertTrue(assertThrows(CheckpointException.class, () -> Checkpoint.open(empty))
                .getMessage().endsWith("no model.safetensors or model.safetensors.index.json"));
    }

    @Test
    void anIndexThatDisagreesWithItsShardsIsRefused() throws IOException {
        Path dir = copyOfStories();
        Files.writeString(dir.resolve("model.safetensors.index.json"),
                "{\"metadata\":{\"total_size\":4},\"weight_map\":{\"model.norm.weight\":\"model-00001-of-00002.safetensors\"}}");
        CheckpointException e = assertThrows(CheckpointException.class, () -> Checkpoint.open(dir));
        assertTrue(e.getMessage().contains("weight_map names shard 'model-00001-of-00002.safetensors', which does not exist"),
                e.getMessage());
        Files.writeString(dir.resolve("model.safetensors.index.json"),
                "{\"metadata\":{\"total_size\":4},\"weight_map\":{\"model.norm.weight\":\"model.safetensors\"}}");
        e = assertThrows(CheckpointException.class, () -> Checkpoint.open(dir));
        assertTrue(e.getMessage().contains("missing from weight_map"), e.getMessage());
    }

    @Test
    void configErrorsNameTheKey() throws IOException {
        assertConfigError(c -> c.put("num_attention_heads", 12), "key 'num_attention_heads': 12 does not divide hidden_size 64");
        assertConfigError(c -> c.put("num_key_value_heads", 3), "key 'num_key_value_heads': 3 does not divide num_attention_heads 8");
        assertConfigError(c -> c.put("model_type", "gpt2"), "key 'model_type': 'gpt2' is not supported");
        assertConfigError(c -> c.putObject("rope_scaling").put("rope_type", "yarn"), "key 'rope_scaling': type 'yarn' is not supported");
        assertConfigError(c -> c.remove("hidden_size"), "key 'hidden_size': missing");
        assertConfigError(c -> c.put("rms_norm_eps", -1), "key 'rms_norm_eps': -1 is not a positive number");
    }

    @Test
    void qwen2AlwaysHasAttentionBiasAndMistralKeepsItsWindow() throws IOException {
        ObjectNode c = stories260KConfig();
        c.put("model_type", "qwen2");
        assertTrue(ModelConfig.parse("config.json", c).attentionBias());
        c.put("model_type", "mistral");
        c.put("sliding_window", 4096);
        ModelConfig mistral = ModelConfig.parse("config.json", c);
        assertFalse(mistral.attentionBias());
        assertEquals(4096, mistral.slidingWindow());
        c.putArray("eos_token_id").add(2).add(7);
        assertEquals(List.of(2, 7), ModelConfig.parse("config.json", c).eosTokenIds());
    }

    private void assertConfigError(java.util.function.Consumer<ObjectNode> edit, String expected) throws IOException {
        ObjectNode c = stories260KConfig();
        edit.accept(c);
        Path file = tmp.resolve("config-" + System.nanoTime() + ".json");
        new ObjectMapper().writeValue(file.toFile(), c);
        CheckpointException e = assertThrows(CheckpointException.class, () -> ModelConfig.read(file));
        assertTrue(e.getMessage().startsWith(file + ": " + expected), e.getMessage());
    }

    private static ObjectNode stories260KConfig() throws IOException {
        return (ObjectNode) new ObjectMapper().readTree(Fixtures.model("stories260K").resolve("config.json").toFile());
    }

    private Path copyOfStories() throws IOException {
        Path dir = Files.createDirectory(tmp.resolve("copy"));
        for (String f : List.of("config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json")) {
            Files.copy(Fixtures.model("stories260K").resolve(f), dir.resolve(f));
        }
        return dir;
    }
}
