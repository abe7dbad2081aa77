package dev.evomerge.io;

import java.util.OptionalInt;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Hugging Face's tensor names for the Llama family (Llama, Mistral, Qwen2), in one place: what
 * the model loads, what the merger matches and renumbers, what a genome's filters name.
 *
 * <pre>
 * model.embed_tokens.weight                       [V, D]
 * model.layers.{i}.input_layernorm.weight         [D]
 * model.layers.{i}.self_attn.{q,k,v,o}_proj.weight (and q/k/v biases in Qwen2)
 * model.layers.{i}.post_attention_layernorm.weight
 * model.layers.{i}.mlp.{gate,up,down}_proj.weight
 * model.norm.weight                               [D]
 * lm_head.weight                                  [V, D] (absent when tied to the embeddings)
 * </pre>
 */
public final class TensorNames {
    public static final String EMBEDDINGS = "model.embed_tokens.weight";
    public static final String FINAL_NORM = "model.norm.weight";
    public static final String HEAD = "lm_head.weight";
    /** A substring every layer tensor's name has. */
    public static final String LAYERS = "model.layers.";
    /** A mergekit filter that matches the embeddings. */
    public static final String EMBEDDINGS_FILTER = "model.embed_tokens.";

    // Within a layer, after its prefix:
    public static final String INPUT_NORM = "input_layernorm.weight";
    public static final String POST_ATTENTION_NORM = "post_attention_layernorm.weight";
    public static final String Q = "self_attn.q_proj";
    public static final String K = "self_attn.k_proj";
    public static final String V = "self_attn.v_proj";
    public static final String O = "self_attn.o_proj";
    public static final String GATE = "mlp.gate_proj";
    public static final String UP = "mlp.up_proj";
    public static final String DOWN = "mlp.down_proj";

    private static final Pattern LAYER = Pattern.compile("\\.layers\\.(\\d+)\\.");

    private TensorNames() {
    }

    /** {@code model.layers.{i}.}: the prefix of layer i's tensors (and a mergekit filter that matches exactly them). */
    public static String layerPrefix(int layer) {
        return LAYERS + layer + ".";
    }

    /** A tensor of layer i: {@code layer(3, Q + ".weight")} is {@code model.layers.3.self_attn.q_proj.weight}. */
    public static String layer(int layer, String suffix) {
        return layerPrefix(layer) + suffix;
    }

    /** The layer a tensor belongs to, if it is a layer's. */
    public static OptionalInt layerOf(String tensorName) {
        Matcher m = LAYER.matcher(tensorName);
        return m.find() ? OptionalInt.of(Integer.parseInt(m.group(1))) : OptionalInt.empty();
    }

    public static boolean isEmbeddings(String tensorName) {
        return tensorName.contains("embed_tokens");
    }

    /** The same tensor in layer {@code to}: how a passthrough merge renumbers stacked layers. */
    public static String inLayer(String tensorName, int to) {
        int from = layerOf(tensorName).orElseThrow(() -> new IllegalArgumentException(tensorName + " is no layer's tensor"));
        return tensorName.replaceFirst(Pattern.quote(layerPrefix(from)), layerPrefix(to));
    }
}
