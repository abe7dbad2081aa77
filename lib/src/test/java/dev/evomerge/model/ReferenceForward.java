package dev.evomerge.model;

import dev.evomerge.io.Checkpoint;
import dev.evomerge.io.ModelConfig;

/**
 * A deliberately plain transformer forward in double precision with loops, no DJL: the
 * independent computation the model is checked against. One sequence, no cache, no padding.
 */
final class ReferenceForward {
    private final Checkpoint ckpt;
    private final ModelConfig c;

    ReferenceForward(Checkpoint ckpt) {
        this.ckpt = ckpt;
        this.c = ckpt.config();
    }

    private double[] vec(String name) {
        float[] f = ckpt.floats(name);
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) {
            d[i] = f[i];
        }
        return d;
    }

    /** y = W x for W stored [out, in]. */
    static double[] matvec(double[] w, double[] x, int out) {
        int in = x.length;
        double[] y = new double[out];
        for (int o = 0; o < out; o++) {
            double s = 0;
            for (int i = 0; i < in; i++) {
                s += w[o * in + i] * x[i];
            }
            y[o] = s;
        }
        return y;
    }

    private double[] rmsnorm(double[] x, double[] w) {
        double ss = 0;
        for (double v : x) {
            ss += v * v;
        }
        double scale = 1 / Math.sqrt(ss / x.length + c.rmsNormEps());
        double[] y = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            y[i] = x[i] * scale * w[i];
        }
        return y;
    }

    /** Rotates each head's vector by rotate_half at position {@code pos}. */
    private void rope(double[] v, int heads, int pos) {
        int hd = c.headDim();
        int half = hd / 2;
        for (int h = 0; h < heads; h++) {
            for (int i = 0; i < half; i++) {
                double freq = 1.0 / Math.pow(c.ropeTheta(), (2.0 * i) / hd);
                double angle = pos * (double) (float) freq;
                double cos = Math.cos(angle);
                double sin = Math.sin(angle);
                double a = v[h * hd + i];
                double b = v[h * hd + i + half];
                v[h * hd + i] = a * cos - b * sin;
                v[h * hd + i + half] = b * cos + a * sin;
            }
        }
    }

    /** Logits [T][V] of {@code tokens}. */
    double[][] logits(long[] tokens) {
        return logits(tokens, (layer, x) -> { });
    }

    /** Logits [T][V] of {@code tokens}, {@code afterLayer} given the residual stream [T][D] after each layer (it may change it). */
    double[][] logits(long[] tokens, java.util.function.BiConsumer<Integer, double[][]> afterLayer) {
        double[][] x = new double[tokens.length][];
        for (int i = 0; i < tokens.length; i++) {
            x[i] = embedding(tokens[i]);
        }
        return logitsOfEmbeddings(x, afterLayer);
    }

    /** The embedding row of a token. */
    double[] embedding(long token) {
        int d = c.hiddenSize();
        double[] row = new double[d];
        float[] all = ckpt.floats("model.embed_tokens.weight");
        for (int e = 0; e < d; e++) {
            row[e] = all[(int) token * d + e];
        }
        return row;
    }

    /** Logits [T][V] of a sequence given as embeddings [T][D] (changed in place), {@code afterLayer} after each layer. */
    double[][] logitsOfEmbeddings(double[][] x, java.util.function.BiConsumer<Integer, double[][]> afterLayer) {
        int t = x.length;
        int d = c.hiddenSize();
        int hd = c.headDim();
        int h = c.numAttentionHeads();
        int kvh = c.numKeyValueHeads();
        double[] embed = vec("model.embed_tokens.weight");
        for (int l = 0; l < c.numHiddenLayers(); l++) {
            String p = "model.layers." + l + ".";
            double[][] q = new double[t][];
            double[][] k = new double[t][];
            double[][] v = new double[t][];
            for (int i = 0; i < t; i++) {
                double[] hIn = rmsnorm(x[i], vec(p + "input_layernorm.weight"));
                q[i] = matvec(vec(p + "self_attn.q_proj.weight"), hIn, h * hd);
                k[i] = matvec(vec(p + "self_attn.k_proj.weight"), hIn, kvh * hd);
                v[i] = matvec(vec(p + "self_attn.v_proj.weight"), hIn, kvh * hd);
                if (c.attentionBias()) {
                    addInto(q[i], vec(p + "self_attn.q_proj.bias"));
                    addInto(k[i], vec(p + "self_attn.k_proj.bias"));
                    addInto(v[i], vec(p + "self_attn.v_proj.bias"));
                }
                rope(q[i], h, i);
                rope(k[i], kvh, i);
            }
            for (int i = 0; i < t; i++) {
                double[] merged = new double[h * hd];
                for (int head = 0; head < h; head++) {
                    int kvHead = head / (h / kvh);
                    double[] scores = new double[i + 1];
                    double max = Double.NEGATIVE_INFINITY;
                    for (int j = 0; j <= i; j++) {
                        boolean visible = c.slidingWindow() == null || i - j < c.slidingWindow();
                        double s = 0;
                        for (int e = 0; e < hd; e++) {
                            s += q[i][head * hd + e] * k[j][kvHead * hd + e];
                        }
                        scores[j] = visible ? s / Math.sqrt(hd) : Double.NEGATIVE_INFINITY;
                        max = Math.max(max, scores[j]);
                    }
                    double sum = 0;
                    for (int j = 0; j <= i; j++) {
                        scores[j] = Math.exp(scores[j] - max);
                        sum += scores[j];
                    }
                    for (int j = 0; j <= i; j++) {
                        for (int e = 0; e < hd; e++) {
                            merged[head * hd + e] += scores[j] / sum * v[j][kvHead * hd + e];
                        }
                    }
                }
                addInto(x[i], matvec(vec(p + "self_attn.o_proj.weight"), merged, d));
            }
            for (int i = 0; i < t; i++) {
                double[] hPost = rmsnorm(x[i], vec(p + "post_attention_layernorm.weight"));
                double[] gate = matvec(vec(p + "mlp.gate_proj.weight"), hPost, c.intermediateSize());
                double[] up = matvec(vec(p + "mlp.up_proj.weight"), hPost, c.intermediateSize());
                for (int e = 0; e < gate.length; e++) {
                    gate[e] = gate[e] / (1 + Math.exp(-gate[e])) * up[e];
                }
                addInto(x[i], matvec(vec(p + "mlp.down_proj.weight"), gate, d));
            }
            afterLayer.accept(l, x);
        }
        double[] head = ckpt.contains("lm_head.weight") ? vec("lm_head.weight") : embed;
        double[][] out = new double[t][];
        for (int i = 0; i < t; i++) {
            out[i] = matvec(head, rmsnorm(x[i], vec("model.norm.weight")), c.vocabSize());
        }
        return out;
    }

    private static void addInto(double[] a, double[] b) {
        for (int i = 0; i < a.length; i++) {
            a[i] += b[i];
        }
    }
}
