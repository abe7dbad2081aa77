package dev.evomerge.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.norm.LayerNorm;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * A LLaVA's vision tower: CLIP's ViT (Radford et al. 2021) on DJL NDArrays, as Hugging Face's
 * CLIPVisionTransformer computes it, up to the layer LLaVA reads its features from:
 *
 * <pre>
 * x = [class ; patches(pixels) Wpatch] + position            [1 + N, D]   (N = (image / patch)^2)
 * x = layernorm(x) (pre_layrnorm)                            hidden state 0
 * for each layer:                                            hidden state i + 1
 *   h = layernorm1(x); x = x + attention(h)                  (bidirectional, q k v out with biases)
 *   h = layernorm2(x); x = x + fc2(act(fc1(h)))              (act: quick_gelu x sigmoid(1.702 x), or gelu)
 * features = hidden state [vision_feature_layer]            (-2: the second to last; later layers never run)
 *            without the class token ("default") or with it ("full")
 * </pre>
 *
 * Tensors are named as transformers saves a LLaVA ({@code vision_tower.embeddings...}) or as the
 * llava-hf checkpoints on the hub name them ({@code vision_tower.vision_model.embeddings...}).
 */
public final class VisionTower implements AutoCloseable {
    private final NDManager manager;
    private final int patch;
    private final int heads;
    private final float eps;
    private final boolean quickGelu;
    private final int layersRun;
    private final boolean dropClass;
    private final NDArray patchWeight; // [D, 3, p, p], as the convolution stores it (a training leaf)
    private final NDArray classEmbedding;
    private final NDArray position;
    private final NDArray[] preNorm;
    private final List<NDArray[]> layers = new ArrayList<>();
    // Scalars made once: an op with a Java number makes a temporary array that autograd may read after it is freed
    private final NDArray quickGeluScale;
    private final NDArray attentionScale;

    private static final String[] LAYER_TENSORS = {"layer_norm1.weight", "layer_norm1.bias", "self_attn.q_proj.weight",
        "self_attn.q_proj.bias", "self_attn.k_proj.weight", "self_attn.k_proj.bias", "self_attn.v_proj.weight",
        "self_attn.v_proj.bias", "self_attn.out_proj.weight", "self_attn.out_proj.bias", "layer_norm2.weight",
        "layer_norm2.bias", "mlp.fc1.weight", "mlp.fc1.bias", "mlp.fc2.weight", "mlp.fc2.bias"};

    /**
     * @param config  the VLM's config.json (its {@code vision_config}, {@code vision_feature_layer},
     *                {@code vision_feature_select_strategy})
     * @param has     whether the checkpoint has a tensor
     * @param load    a tensor onto {@code manager} as FLOAT32
     */
    public VisionTower(NDManager manager, JsonNode config, Predicate<String> has, Function<String, NDArray> load, String where) {
        this.manager = manager;
        JsonNode v = config.path("vision_config");
        int depth = v.path("num_hidden_layers").asInt(0);
        patch = v.path("patch_size").asInt(0);
        heads = v.path("num_attention_heads").asInt(0);
        if (depth <= 0 || patch <= 0 || heads <= 0) {
            throw new IllegalArgumentException(where + ": vision_config: num_hidden_layers, patch_size and num_attention_heads "
                    + "must be positive");
        }
        eps = (float) v.path("layer_norm_eps").asDouble(1e-5);
        String act = v.path("hidden_act").asText("quick_gelu");
        if (!act.equals("quick_gelu") && !act.equals("gelu")) {
            throw new IllegalArgumentException(where + ": vision_config.hidden_act: '" + act + "' is not supported (quick_gelu, gelu)");
        }
        quickGelu = act.equals("quick_gelu");
        JsonNode layer = config.path("vision_feature_layer");
        if (!layer.isInt()) {
            throw new IllegalArgumentException(where + ": vision_feature_layer: one layer index expected, got " + layer);
        }
        int index = layer.asInt(-2) < 0 ? depth + 1 + layer.asInt(-2) : layer.asInt();
        if (index < 0 || index > depth) {
            throw new IllegalArgumentException(where + ": vision_feature_layer: " + layer.asInt() + " is outside the tower's "
                    + (depth + 1) + " hidden states");
        }
        layersRun = index;
        String strategy = config.path("vision_feature_select_strategy").asText("default");
        if (!strategy.equals("default") && !strategy.equals("full")) {
            throw new IllegalArgumentException(where + ": vision_feature_select_strategy: '" + strategy
                    + "' is not supported (default, full)");
        }
        dropClass = strategy.equals("default");
        String prefix = has.test("vision_tower.vision_model.embeddings.patch_embedding.weight") ? "vision_tower.vision_model."
                : "vision_tower.";
        if (!has.test(prefix + "embeddings.patch_embedding.weight")) {
            throw new IllegalArgumentException(where + ": no vision tower (no tensor vision_tower.[vision_model.]embeddings."
                    + "patch_embedding.weight)");
        }
        patchWeight = load.apply(prefix + "embeddings.patch_embedding.weight");
        classEmbedding = load.apply(prefix + "embeddings.class_embedding");
        position = load.apply(prefix + "embeddings.position_embedding.weight");
        preNorm = new NDArray[] {load.apply(prefix + "pre_layrnorm.weight"), load.apply(prefix + "pre_layrnorm.bias")};
        for (int i = 0; i < layersRun; i++) {
            NDArray[] w = new NDArray[LAYER_TENSORS.length];
            for (int k = 0; k < w.length; k++) {
                w[k] = load.apply(prefix + "encoder.layers." + i + "." + LAYER_TENSORS[k]);
            }
            layers.add(w);
        }
        quickGeluScale = manager.create(1.702f);
        attentionScale = manager.create((float) (1 / Math.sqrt(patchWeight.getShape().get(0) / (double) heads)));
    }

    /** Every weight the features are computed from, for training: the patch embedding, class and positions, norms, layers. */
    public List<NDArray> parameters() {
        List<NDArray> out = new ArrayList<>(List.of(patchWeight, classEmbedding, position, preNorm[0], preNorm[1]));
        layers.forEach(l -> out.addAll(List.of(l)));
        return out;
    }

    /** How many features an image of {@code height} x {@code width} pixels gives: a patch each, and the class token under "full". */
    public int featureCount(int height, int width) {
        return (height / patch) * (width / patch) + (dropClass ? 0 : 1);
    }

    /** Features of one image, {@code pixels} [3, H, W] channels first: [N (+1 with the class token), D]. */
    public NDArray features(NDArray pixels) {
        return batchFeatures(pixels.expandDims(0)).squeeze(0);
    }

    /**
     * Features of a batch of images of one size, {@code pixels} [B, 3, H, W]: [B, N (+1), D]. Every
     * operation is differentiable, so a tower can be trained through it.
     */
    public NDArray batchFeatures(NDArray pixels) {
        long b = pixels.getShape().get(0);
        long h = pixels.getShape().get(2);
        long w = pixels.getShape().get(3);
        if (h % patch != 0 || w % patch != 0) {
            throw new IllegalArgumentException("a " + w + "x" + h + " image does not divide into " + patch + "-pixel patches");
        }
        long gh = h / patch;
        long gw = w / patch;
        long d = patchWeight.getShape().get(0);
        // [B, 3, gh, p, gw, p] -> [B, gh, gw, 3, p, p]: each patch flattened as the convolution's kernel is
        NDArray patches = pixels.reshape(b, 3, gh, patch, gw, patch).transpose(0, 2, 4, 1, 3, 5).reshape(b, gh * gw, -1);
        NDArray embedded = patches.matMul(patchWeight.reshape(d, -1).transpose());
        NDArray x = NDArrays.concat(new ai.djl.ndarray.NDList(classEmbedding.reshape(1, 1, d).broadcast(b, 1, d), embedded), 1);
        if (x.getShape().get(1) != position.getShape().get(0)) {
            throw new IllegalArgumentException("the image gives " + (x.getShape().get(1) - 1) + " patches, the tower has "
                    + (position.getShape().get(0) - 1) + " positions");
        }
        x = layerNorm(x.add(position), preNorm[0], preNorm[1]);
        for (NDArray[] l : layers) {
            x = x.add(attention(layerNorm(x, l[0], l[1]), l));
            NDArray hidden = linear(layerNorm(x, l[10], l[11]), l[12], l[13]);
            hidden = quickGelu ? hidden.mul(Activation.sigmoid(hidden.mul(quickGeluScale))) : Activation.gelu(hidden);
            x = x.add(linear(hidden, l[14], l[15]));
        }
        return dropClass ? x.get(":, 1:, :") : x;
    }

    private NDArray attention(NDArray h, NDArray[] l) {
        long b = h.getShape().get(0);
        long t = h.getShape().get(1);
        long d = h.getShape().get(2);
        long hd = d / heads;
        NDArray q = linear(h, l[2], l[3]).mul(attentionScale).reshape(b, t, heads, hd).transpose(0, 2, 1, 3);
        NDArray k = linear(h, l[4], l[5]).reshape(b, t, heads, hd).transpose(0, 2, 1, 3);
        NDArray v = linear(h, l[6], l[7]).reshape(b, t, heads, hd).transpose(0, 2, 1, 3);
        NDArray a = q.matMul(k.transpose(0, 1, 3, 2)).softmax(-1).matMul(v); // [B, heads, t, hd]
        return linear(a.transpose(0, 2, 1, 3).reshape(b, t, d), l[8], l[9]);
    }

    private static NDArray linear(NDArray x, NDArray weight, NDArray bias) {
        return x.matMul(weight.transpose()).add(bias);
    }

    private NDArray layerNorm(NDArray x, NDArray weight, NDArray bias) {
        return LayerNorm.layerNorm(x, new Shape(x.getShape().get(x.getShape().dimension() - 1)), weight, bias, eps).singletonOrThrow();
    }

    @Override
    public void close() {
        manager.close();
    }
}
