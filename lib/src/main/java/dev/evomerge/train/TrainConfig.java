package dev.evomerge.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.evomerge.driver.ConfigNode;
import dev.evomerge.io.Locations;
import dev.evomerge.io.SafeYaml;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * One training run (conf/train-*.yaml, or a stage of the mini world's config): where the model
 * starts ({@code init}: a checkpoint to fine-tune, or a new model's architecture), what it reads
 * and how the optimizer steps ({@link TrainingSettings}), and where the checkpoint goes.
 *
 * @param from        checkpoint directory to fine-tune, or null for a new model of {@code architecture}
 * @param architecture a new model's config.json (Llama; vocab_size 0 takes the tokenizer's), or null when fine-tuning
 */
public record TrainConfig(Path out, Path tokenizer, Path from, ObjectNode architecture, TrainingSettings training) {

    public static TrainConfig read(Path file) {
        return parse(ConfigNode.read(file, "training config"), null);
    }

    /**
     * A training run from {@code node}; {@code tokenizer}, when not null, is the tokenizer every
     * stage of a world shares (the node then names none).
     */
    public static TrainConfig parse(ConfigNode node, Path tokenizer) {
        List<String> keys = new ArrayList<>(List.of("out", "tokenizer", "init"));
        keys.addAll(TrainingSettings.KEYS);
        node.onlyKeys(keys.toArray(String[]::new));
        Path tok = tokenizer != null ? tokenizer : node.localPath("tokenizer");
        ConfigNode init = node.child("init");
        Path from = null;
        ObjectNode architecture = null;
        if (init.has("from")) {
            init.onlyKeys("from");
            from = init.localPath("from");
        } else {
            architecture = architecture(init, node);
        }
        return new TrainConfig(node.localPath("out"), tok, from, architecture, TrainingSettings.parse(node, 1e-3));
    }

    /** The same run cut to {@code steps}, written to {@code out}: what a benchmark times. */
    public TrainConfig withSteps(Path out, int steps) {
        return new TrainConfig(out, tokenizer, from, architecture, training.withSteps(steps));
    }

    /** A new Llama model's config.json from {@code init}'s sizes; the vocabulary is the tokenizer's. */
    private static ObjectNode architecture(ConfigNode init, ConfigNode node) {
        init.onlyKeys("hidden_size", "intermediate_size", "num_hidden_layers", "num_attention_heads", "num_key_value_heads",
                "max_position_embeddings", "rope_theta", "vocab_size");
        ObjectNode c = new ObjectMapper().createObjectNode();
        c.putArray("architectures").add("LlamaForCausalLM");
        c.put("model_type", "llama");
        int heads = init.integer("num_attention_heads", 4, 1);
        int hidden = init.integer("hidden_size", 128, 1);
        if (hidden % heads != 0) {
            throw init.error("hidden_size", hidden + " is not a multiple of num_attention_heads " + heads);
        }
        int kvHeads = init.integer("num_key_value_heads", heads, 1);
        if (heads % kvHeads != 0) {
            throw init.error("num_key_value_heads", kvHeads + " does not divide num_attention_heads " + heads);
        }
        c.put("hidden_size", hidden);
        c.put("intermediate_size", init.integer("intermediate_size", hidden * 8 / 3, 1));
        c.put("num_hidden_layers", init.integer("num_hidden_layers", 4, 1));
        c.put("num_attention_heads", heads);
        c.put("num_key_value_heads", kvHeads);
        c.put("vocab_size", init.integer("vocab_size", 0, 0)); // 0: the trainer takes the tokenizer's
        c.put("max_position_embeddings", init.integer("max_position_embeddings", node.integer("max_length", 128, 2), 2));
        c.put("rms_norm_eps", 1e-5);
        c.put("rope_theta", init.number("rope_theta", 10000.0, 1, 1e9));
        c.put("hidden_act", "silu");
        c.put("tie_word_embeddings", false);
        c.put("bos_token_id", 1);
        c.put("eos_token_id", 2);
        c.put("torch_dtype", "float32");
        c.put("attention_bias", false);
        c.put("mlp_bias", false);
        return c;
    }
}
