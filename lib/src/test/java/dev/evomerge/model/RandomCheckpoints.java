package dev.evomerge.model;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.evomerge.Fixtures;
import dev.evomerge.io.DType;
import dev.evomerge.io.ShardedWriter;
import dev.evomerge.io.TensorBytes;
import dev.evomerge.io.TensorSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/** Small random checkpoints of each family, written in the Hugging Face layout, for tests. */
final class RandomCheckpoints {
    private RandomCheckpoints() {
    }

    record Spec(String modelType, int hidden, int heads, int kvHeads, int layers, int intermediate, int vocab,
                boolean tied, Integer slidingWindow) {
    }

    static Path write(Path dir, Spec s, long seed) throws IOException {
        Files.createDirectories(dir);
        ObjectMapper json = new ObjectMapper();
        ObjectNode c = json.createObjectNode();
        c.putArray("architectures").add("LlamaForCausalLM");
        c.put("model_type", s.modelType());
        c.put("hidden_size", s.hidden());
        c.put("intermediate_size", s.intermediate());
        c.put("num_hidden_layers", s.layers());
        c.put("num_attention_heads", s.heads());
        c.put("num_key_value_heads", s.kvHeads());
        c.put("vocab_size", s.vocab());
        c.put("max_position_embeddings", 256);
        c.put("rms_norm_eps", 1e-5);
        c.put("rope_theta", 500.0);
        c.put("tie_word_embeddings", s.tied());
        c.put("bos_token_id", 1);
        c.put("eos_token_id", 2);
        c.put("torch_dtype", "float32");
        if (s.slidingWindow() != null) {
            c.put("sliding_window", s.slidingWindow());
            if (s.modelType().equals("qwen2")) {
                c.put("use_sliding_window", true);
            }
        }
        json.writerWithDefaultPrettyPrinter().writeValue(dir.resolve("config.json").toFile(), c);
        // A real tokenizer, so the generator can decode; its vocabulary of 512 covers small random models.
        Files.copy(Fixtures.model("stories260K").resolve("tokenizer.json"), dir.resolve("tokenizer.json"));
        Files.copy(Fixtures.model("stories260K").resolve("tokenizer_config.json"), dir.resolve("tokenizer_config.json"));

        int hd = s.hidden() / s.heads();
        Map<String, long[]> shapes = new LinkedHashMap<>();
        shapes.put("model.embed_tokens.weight", new long[] {s.vocab(), s.hidden()});
        for (int i = 0; i < s.layers(); i++) {
            String p = "model.layers." + i + ".";
            shapes.put(p + "input_layernorm.weight", new long[] {s.hidden()});
            shapes.put(p + "self_attn.q_proj.weight", new long[] {(long) s.heads() * hd, s.hidden()});
            shapes.put(p + "self_attn.k_proj.weight", new long[] {(long) s.kvHeads() * hd, s.hidden()});
            shapes.put(p + "self_attn.v_proj.weight", new long[] {(long) s.kvHeads() * hd, s.hidden()});
            if (s.modelType().equals("qwen2")) {
                shapes.put(p + "self_attn.q_proj.bias", new long[] {(long) s.heads() * hd});
                shapes.put(p + "self_attn.k_proj.bias", new long[] {(long) s.kvHeads() * hd});
                shapes.put(p + "self_attn.v_proj.bias", new long[] {(long) s.kvHeads() * hd});
            }
            shapes.put(p + "self_attn.o_proj.weight", new long[] {s.hidden(), (long) s.heads() * hd});
            shapes.put(p + "post_attention_layernorm.weight", new long[] {s.hidden()});
            shapes.put(p + "mlp.gate_proj.weight", new long[] {s.intermediate(), s.hidden()});
            shapes.put(p + "mlp.up_proj.weight", new long[] {s.intermediate(), s.hidden()});
            shapes.put(p + "mlp.down_proj.weight", new long[] {s.hidden(), s.intermediate()});
        }
        shapes.put("model.norm.weight", new long[] {s.hidden()});
        if (!s.tied()) {
            shapes.put("lm_head.weight", new long[] {s.vocab(), s.hidden()});
        }
        List<TensorSpec> specs = new ArrayList<>();
        shapes.forEach((name, shape) -> specs.add(new TensorSpec(name, DType.F32, shape)));
        SplittableRandom rnd = new SplittableRandom(seed);
        try (ShardedWriter w = new ShardedWriter(dir, specs, ShardedWriter.DEFAULT_MAX_SHARD_BYTES)) {
            for (TensorSpec t : specs) {
                float[] v = new float[(int) t.numel()];
                boolean norm = t.name().endsWith("layernorm.weight") || t.name().equals("model.norm.weight");
                for (int i = 0; i < v.length; i++) {
                    v[i] = norm ? (float) (1 + 0.1 * rnd.nextGaussian()) : (float) (0.2 * rnd.nextGaussian());
                }
                w.write(t.name(), TensorBytes.fromFloats(v, DType.F32));
            }
            w.finish();
        }
        return dir;
    }
}
