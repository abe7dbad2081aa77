package dev.evomerge;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
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

/**
 * Random checkpoints of the Llama family in the Hugging Face layout (config.json and F32
 * safetensors), for benchmarks and tests: any size, GQA, Qwen2's q/k/v biases, a sliding window,
 * tied or untied heads. Weights are N(0, weightStd); norm weights 1 + N(0, normJitter).
 */
public final class SyntheticCheckpoints {
    private SyntheticCheckpoints() {
    }

    public record Spec(String modelType, int hidden, int heads, int kvHeads, int layers, int intermediate, int vocab,
                       boolean tied, Integer slidingWindow) {
    }

    /** Writes the checkpoint into {@code dir} (created) in float32; returns the bytes of its weights. */
    public static long write(Path dir, Spec s, long seed, double weightStd, double normJitter) throws IOException {
        return write(dir, s, seed, weightStd, normJitter, DType.F32);
    }

    /** Writes the checkpoint into {@code dir} (created) in {@code dtype}; returns the bytes of its weights. */
    public static long write(Path dir, Spec s, long seed, double weightStd, double normJitter, DType dtype) throws IOException {
        Files.createDirectories(dir);
        writeConfig(dir, s, dtype);
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
        shapes.forEach((name, shape) -> specs.add(new TensorSpec(name, dtype, shape)));
        SplittableRandom rnd = new SplittableRandom(seed);
        long bytes = 0;
        try (ShardedWriter w = new ShardedWriter(dir, specs, ShardedWriter.DEFAULT_MAX_SHARD_BYTES)) {
            for (TensorSpec t : specs) {
                float[] v = new float[(int) t.numel()];
                boolean norm = t.name().endsWith("layernorm.weight") || t.name().equals("model.norm.weight");
                for (int i = 0; i < v.length; i++) {
                    v[i] = norm ? (float) (1 + normJitter * rnd.nextGaussian()) : (float) (weightStd * rnd.nextGaussian());
                }
                w.write(t.name(), TensorBytes.fromFloats(v, dtype));
                bytes += t.byteSize();
            }
            w.finish();
        }
        return bytes;
    }

    private static void writeConfig(Path dir, Spec s, DType dtype) throws IOException {
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
        c.put("max_position_embeddings", 2048);
        c.put("rms_norm_eps", 1e-5);
        c.put("rope_theta", 10000.0);
        c.put("tie_word_embeddings", s.tied());
        c.put("bos_token_id", 1);
        c.put("eos_token_id", 2);
        c.put("torch_dtype", dtype.torchName());
        if (s.slidingWindow() != null) {
            c.put("sliding_window", s.slidingWindow());
            if (s.modelType().equals("qwen2")) {
                c.put("use_sliding_window", true);
            }
        }
        json.writerWithDefaultPrettyPrinter().writeValue(dir.resolve("config.json").toFile(), c);
    }
}
