package dev.evomerge.model;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.evomerge.io.Checkpoint;
import dev.evomerge.io.TensorBytes;
import dev.evomerge.io.TensorInfo;
import dev.evomerge.vision.AnyResolution;
import dev.evomerge.vision.ImagePreprocessor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.commons.math3.special.Erf;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The VLM forward against a deliberately plain double-precision LLaVA written here with loops:
 * the CLIP tower (patch embedding, class and position embeddings, pre-layernorm, layers with
 * biases and quick-GELU), the selected hidden state, the projector, LLaVA-1.6's packing (the tiles'
 * grid, unpadding, a newline per row), and the language model ({@link ReferenceForward}) over the
 * merged sequence: logits to 1e-4, on the tiny random checkpoints in both layouts and with
 * any-resolution tiles.
 */
class VlmReferenceTest {
    private static final Path RESOURCES = Path.of("src/test/resources");

    static {
        Djl.init();
    }

    @ParameterizedTest
    @ValueSource(strings = {"llava-tiny", "llava-tiny-hub"})
    void llavaIsThePlainComputation(String layout) throws Exception {
        JsonNode golden = new ObjectMapper().readTree(Files.readString(RESOURCES.resolve("llava-tiny-hf.json")));
        float[] pixels = VisionTowerTest.floats(golden.get("pixel_values"));
        long[] ids = longs(golden.get("input_ids"));
        try (Llava llava = Llava.open(RESOURCES.resolve(layout)); Checkpoint c = Checkpoint.open(RESOURCES.resolve(layout));
             NDManager m = NDManager.newBaseManager()) {
            Reference ref = new Reference(c);
            double[][] features = ref.project(ref.tower(pixels));
            LlavaImage image = new LlavaImage(List.of(pixels), 16, 16);
            assertClose(features, llava.imageFeatures(m, image).toFloatArray(), "image features");
            assertClose(ref.logits(ids, features), llava.logits(m, ids, image).toFloatArray(), "logits");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"wide-64x20", "rgb-37x29"})
    void llavaNextIsThePlainComputation(String name) throws Exception {
        JsonNode golden = new ObjectMapper().readTree(Files.readString(RESOURCES.resolve("llava-next-tiny-hf.json"))).get(name);
        long[] ids = longs(golden.get("input_ids"));
        Path dir = RESOURCES.resolve("llava-next-tiny");
        try (Llava llava = Llava.open(dir); Checkpoint c = Checkpoint.open(dir); NDManager m = NDManager.newBaseManager()) {
            LlavaImage image = llava.prepare(ImagePreprocessor.decode(Files.readAllBytes(RESOURCES.resolve("vision/" + name + ".png"))));
            Reference ref = new Reference(c);
            double[][] features = ref.anyResolution(image);
            assertClose(features, llava.imageFeatures(m, image).toFloatArray(), "packed image features");
            assertClose(ref.logits(ids, features), llava.logits(m, ids, image).toFloatArray(), "logits");
        }
    }

    /** A LLaVA in double precision, one image at a time. */
    private static final class Reference {
        private final Checkpoint c;
        private final JsonNode config;
        private final JsonNode vision;
        private final String prefix;

        Reference(Checkpoint c) {
            this.c = c;
            this.config = c.vlm().config();
            this.vision = config.get("vision_config");
            this.prefix = c.vlmTensors().containsKey("vision_tower.vision_model.post_layernorm.weight") ? "vision_tower.vision_model."
                    : "vision_tower.";
        }

        private double[] w(String name) {
            TensorInfo t = c.vlmTensors().get(name);
            float[] f = TensorBytes.toFloats(c.vlmBytes(name), t.dtype(), (int) t.numel());
            double[] d = new double[f.length];
            for (int i = 0; i < f.length; i++) {
                d[i] = f[i];
            }
            return d;
        }

        /** The tower's hidden state at vision_feature_layer, the class token dropped ("default"): [patches][D]. */
        double[][] tower(float[] pixels) {
            int size = (int) Math.round(Math.sqrt(pixels.length / 3.0));
            int p = vision.get("patch_size").asInt();
            int d = vision.get("hidden_size").asInt();
            int g = size / p;
            int n = g * g + 1;
            double[] conv = w(prefix + "embeddings.patch_embedding.weight"); // [D, 3, p, p]
            double[] pos = w(prefix + "embeddings.position_embedding.weight");
            double[][] x = new double[n][d];
            x[0] = w(prefix + "embeddings.class_embedding");
            for (int gy = 0; gy < g; gy++) {
                for (int gx = 0; gx < g; gx++) {
                    for (int o = 0; o < d; o++) {
                        double s = 0;
                        for (int ch = 0; ch < 3; ch++) {
                            for (int ky = 0; ky < p; ky++) {
                                for (int kx = 0; kx < p; kx++) {
                                    s += conv[((o * 3 + ch) * p + ky) * p + kx] * pixels[(ch * size + gy * p + ky) * size + gx * p + kx];
                                }
                            }
                        }
                        x[1 + gy * g + gx][o] = s;
                    }
                }
            }
            for (int i = 0; i < n; i++) {
                for (int o = 0; o < d; o++) {
                    x[i][o] += pos[i * d + o];
                }
                x[i] = layerNorm(x[i], prefix + "pre_layrnorm");
            }
            List<double[][]> states = new ArrayList<>();
            states.add(x);
            int layers = vision.get("num_hidden_layers").asInt();
            int heads = vision.get("num_attention_heads").asInt();
            for (int l = 0; l < layers; l++) {
                String lp = prefix + "encoder.layers." + l + ".";
                double[][] h = new double[n][];
                for (int i = 0; i < n; i++) {
                    h[i] = layerNorm(x[i], lp + "layer_norm1");
                }
                double[][] q = linear(h, lp + "self_attn.q_proj");
                double[][] k = linear(h, lp + "self_attn.k_proj");
                double[][] v = linear(h, lp + "self_attn.v_proj");
                int hd = d / heads;
                double[][] merged = new double[n][d];
                for (int head = 0; head < heads; head++) {
                    for (int i = 0; i < n; i++) {
                        double[] s = new double[n];
                        double max = Double.NEGATIVE_INFINITY;
                        for (int j = 0; j < n; j++) {
                            for (int e = 0; e < hd; e++) {
                                s[j] += q[i][head * hd + e] * k[j][head * hd + e];
                            }
                            s[j] /= Math.sqrt(hd);
                            max = Math.max(max, s[j]);
                        }
                        double sum = 0;
                        for (int j = 0; j < n; j++) {
                            s[j] = Math.exp(s[j] - max);
                            sum += s[j];
                        }
                        for (int j = 0; j < n; j++) {
                            for (int e = 0; e < hd; e++) {
                                merged[i][head * hd + e] += s[j] / sum * v[j][head * hd + e];
                            }
                        }
                    }
                }
                double[][] attn = linear(merged, lp + "self_attn.out_proj");
                double[][] next = new double[n][d];
                for (int i = 0; i < n; i++) {
                    for (int o = 0; o < d; o++) {
                        next[i][o] = x[i][o] + attn[i][o];
                    }
                }
                double[][] h2 = new double[n][];
                for (int i = 0; i < n; i++) {
                    h2[i] = layerNorm(next[i], lp + "layer_norm2");
                }
                double[][] mid = linear(h2, lp + "mlp.fc1");
                for (double[] row : mid) {
                    for (int e = 0; e < row.length; e++) {
                        row[e] = row[e] / (1 + Math.exp(-1.702 * row[e])); // quick-GELU: x sigmoid(1.702 x)
                    }
                }
                double[][] out = linear(mid, lp + "mlp.fc2");
                for (int i = 0; i < n; i++) {
                    for (int o = 0; o < d; o++) {
                        next[i][o] += out[i][o];
                    }
                }
                x = next;
                states.add(x);
            }
            int layer = config.get("vision_feature_layer").asInt();
            double[][] selected = states.get(layer < 0 ? states.size() + layer : layer);
            return java.util.Arrays.copyOfRange(selected, 1, n);
        }

        /** linear_1, GELU (erf), linear_2. */
        double[][] project(double[][] features) {
            double[][] h = linear(features, "multi_modal_projector.linear_1");
            for (double[] row : h) {
                for (int e = 0; e < row.length; e++) {
                    row[e] = 0.5 * row[e] * (1 + Erf.erf(row[e] / Math.sqrt(2)));
                }
            }
            return linear(h, "multi_modal_projector.linear_2");
        }

        /** LLaVA-1.6: the global view's features, then the tiles' grid cut to the image's aspect, image_newline after each row. */
        double[][] anyResolution(LlavaImage image) {
            List<double[][]> perTile = new ArrayList<>();
            for (float[] tile : image.tiles()) {
                perTile.add(project(tower(tile)));
            }
            List<int[]> pinpoints = AnyResolution.pinpoints("config", config.get("image_grid_pinpoints"));
            int tileSize = vision.get("image_size").asInt();
            int side = tileSize / vision.get("patch_size").asInt();
            int[] best = AnyResolution.bestResolution(image.height(), image.width(), pinpoints);
            int rows = best[0] / tileSize;
            int cols = best[1] / tileSize;
            int gh = rows * side;
            int gw = cols * side;
            int top = 0;
            int keptH = gh;
            int left = 0;
            int keptW = gw;
            if ((double) image.width() / image.height() > (double) gw / gh) {
                int newH = new java.math.BigDecimal(image.height() * ((double) gw / image.width()))
                        .setScale(7, java.math.RoundingMode.HALF_EVEN).intValue();
                top = (gh - newH) / 2;
                keptH = gh - 2 * top;
            } else {
                int newW = new java.math.BigDecimal(image.width() * ((double) gh / image.height()))
                        .setScale(7, java.math.RoundingMode.HALF_EVEN).intValue();
                left = (gw - newW) / 2;
                keptW = gw - 2 * left;
            }
            double[] newline = w("image_newline");
            List<double[]> out = new ArrayList<>(List.of(perTile.get(0)));
            for (int y = top; y < top + keptH; y++) {
                for (int x = left; x < left + keptW; x++) {
                    int tile = 1 + (y / side) * cols + x / side;
                    out.add(perTile.get(tile)[(y % side) * side + x % side]);
                }
                out.add(newline);
            }
            return out.toArray(double[][]::new);
        }

        /** The language model over the prompt, its image tokens' rows the features, in order. */
        double[][] logits(long[] ids, double[][] features) {
            ReferenceForward lm = new ReferenceForward(c);
            long imageToken = config.get("image_token_index").asLong();
            double[][] x = new double[ids.length][];
            int next = 0;
            for (int i = 0; i < ids.length; i++) {
                x[i] = ids[i] == imageToken ? features[next++].clone() : lm.embedding(ids[i]);
            }
            assertEquals(features.length, next, "one image token per feature");
            return lm.logitsOfEmbeddings(x, (layer, state) -> { });
        }

        private double[] layerNorm(double[] x, String name) {
            double[] weight = w(name + ".weight");
            double[] bias = w(name + ".bias");
            double mean = 0;
            for (double v : x) {
                mean += v;
            }
            mean /= x.length;
            double var = 0;
            for (double v : x) {
                var += (v - mean) * (v - mean);
            }
            var /= x.length;
            double eps = vision.path("layer_norm_eps").asDouble(1e-5);
            double[] y = new double[x.length];
            for (int i = 0; i < x.length; i++) {
                y[i] = (x[i] - mean) / Math.sqrt(var + eps) * weight[i] + bias[i];
            }
            return y;
        }

        private double[][] linear(double[][] x, String name) {
            double[] weight = w(name + ".weight");
            double[] bias = w(name + ".bias");
            double[][] y = new double[x.length][];
            for (int i = 0; i < x.length; i++) {
                y[i] = ReferenceForward.matvec(weight, x[i], bias.length);
                for (int o = 0; o < bias.length; o++) {
                    y[i][o] += bias[o];
                }
            }
            return y;
        }
    }

    private static void assertClose(double[][] expected, float[] actual, String what) {
        int width = expected[0].length;
        assertEquals(expected.length * width, actual.length, what + ": size");
        for (int i = 0; i < expected.length; i++) {
            for (int j = 0; j < width; j++) {
                assertEquals(expected[i][j], actual[i * width + j], 1e-4, what + " [" + i + "][" + j + "]");
            }
        }
    }

    private static long[] longs(JsonNode values) {
        long[] out = new long[values.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = values.get(i).asLong();
        }
        return out;
    }
}
