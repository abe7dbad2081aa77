package dev.evomerge.bench;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.evomerge.eval.VqaScore;
import dev.evomerge.io.Checkpoint;
import dev.evomerge.model.Djl;
import dev.evomerge.model.Generator;
import dev.evomerge.model.Tokenizer;
import dev.evomerge.model.Transformer;
import dev.evomerge.model.VisionTower;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code scripts/bench vision [IMAGES]}: issue 19's two numbers.
 * <ul>
 * <li>The vision tower's throughput, images/s, and as a fraction of the matmul peak measured in the
 * same run (goal >= 50%): a random tower in CLIP ViT-B/16's shape (224 x 224 images, 197 tokens,
 * width 768, 12 heads, MLP 3072), LLaVA's default feature layer -2 (11 of its 12 layers run).
 * FLOPs per image: 2 x tokens x (4 D^2 + 2 D I) per layer, attention's 4 x tokens^2 x D, the patch
 * product 2 x patches x 3 p^2 x D.
 * <li>VQA scoring time per item (Kuromoji + ROUGE-L + the language rule), against the time of
 * one greedy generation of 20 tokens by the smallest model in the project (the mini world's base,
 * 1M parameters): the goal is under 5% of a generation's time, and a real VLM's generation is far
 * slower, so this is the strictest reading.
 * </ul>
 */
public final class VisionBenchmark {
    static {
        Djl.init();
    }

    private VisionBenchmark() {
    }

    public static void main(String[] argv) throws Exception {
        int images = argv.length > 0 ? Integer.parseInt(argv[0]) : 8;
        Path root = Path.of(System.getProperty("evomerge.root", "."));
        int d = 768;
        int inner = 3072;
        int depth = 12;
        int patch = 16;
        int size = 224;
        try (NDManager m = NDManager.newBaseManager()) {
            // The usual reference shapes, and the tower's own MLP products alone: the best any of them reaches
            // is the peak (the reference shapes alone fall below what the tower's longer products reach).
            double peak = Math.max(InferenceBenchmark.matmulPeak(m), Math.max(productRate(m, 197, d, inner),
                    productRate(m, 197, inner, d)));
            System.out.printf(Locale.ROOT, "matmul peak (best of [2048,512]x[512,{512,1024,8192}], [197,768]x[768,3072], "
                    + "[197,3072]x[3072,768]): %.1f GFLOP/s%n", peak / 1e9);
            ObjectNode config = new ObjectMapper().createObjectNode();
            config.putObject("vision_config").put("hidden_size", d).put("intermediate_size", inner)
                    .put("num_hidden_layers", depth).put("num_attention_heads", 12).put("patch_size", patch)
                    .put("image_size", size).put("hidden_act", "quick_gelu");
            config.put("vision_feature_layer", -2).put("vision_feature_select_strategy", "default");
            int tokens = (size / patch) * (size / patch) + 1;
            Map<String, NDArray> weights = randomTower(m, d, inner, depth, patch, tokens);
            VisionTower tower = new VisionTower(m, config, weights::containsKey, weights::get, "ViT-B/16 shape");
            NDArray pixels = m.randomNormal(new Shape(3, size, size));
            int layersRun = depth - 1;
            double flops = layersRun * (2.0 * tokens * (4.0 * d * d + 2.0 * d * inner) + 4.0 * tokens * tokens * d)
                    + 2.0 * (tokens - 1) * 3 * patch * patch * d;
            for (String run : List.of("warm-up", "measured")) {
                long t0 = System.nanoTime();
                for (int i = 0; i < images; i++) {
                    try (NDScope ignored = new NDScope()) {
                        tower.features(pixels).toFloatArray();
                    }
                }
                double seconds = (System.nanoTime() - t0) / 1e9;
                System.out.printf(Locale.ROOT, "vision tower (%s): %d images in %.2f s = %.2f images/s, %.1f GFLOP/s = %.0f%% of matmul peak (goal >= 50%%)%n",
                        run, images, seconds, images / seconds, flops * images / seconds / 1e9, 100 * flops * images / seconds / peak);
            }
        }
        scoring(root);
    }

    /** FLOP/s of the best of 11 runs of one [rows, k] x [k, n] product. */
    private static double productRate(NDManager parent, int rows, int k, int n) {
        try (NDManager m = parent.newSubManager()) {
            NDArray a = m.randomNormal(new Shape(rows, k));
            NDArray b = m.randomNormal(new Shape(k, n));
            double best = Double.MAX_VALUE;
            for (int r = 0; r < 11; r++) {
                try (NDScope ignored = new NDScope()) {
                    long t0 = System.nanoTime();
                    a.matMul(b).toFloatArray();
                    best = Math.min(best, (System.nanoTime() - t0) / 1e9);
                }
            }
            return 2.0 * rows * k * n / best;
        }
    }

    private static Map<String, NDArray> randomTower(NDManager m, int d, int inner, int depth, int patch, int tokens) {
        Map<String, NDArray> w = new HashMap<>();
        String p = "vision_tower.vision_model.";
        w.put(p + "embeddings.patch_embedding.weight", m.randomNormal(0, 0.02f, new Shape(d, 3, patch, patch), ai.djl.ndarray.types.DataType.FLOAT32));
        w.put(p + "embeddings.class_embedding", m.randomNormal(new Shape(d)));
        w.put(p + "embeddings.position_embedding.weight", m.randomNormal(0, 0.02f, new Shape(tokens, d), ai.djl.ndarray.types.DataType.FLOAT32));
        w.put(p + "pre_layrnorm.weight", m.ones(new Shape(d)));
        w.put(p + "pre_layrnorm.bias", m.zeros(new Shape(d)));
        for (int i = 0; i < depth; i++) {
            String l = p + "encoder.layers." + i + ".";
            for (String norm : List.of("layer_norm1", "layer_norm2")) {
                w.put(l + norm + ".weight", m.ones(new Shape(d)));
                w.put(l + norm + ".bias", m.zeros(new Shape(d)));
            }
            for (String proj : List.of("q_proj", "k_proj", "v_proj", "out_proj")) {
                w.put(l + "self_attn." + proj + ".weight", m.randomNormal(0, 0.02f, new Shape(d, d), ai.djl.ndarray.types.DataType.FLOAT32));
                w.put(l + "self_attn." + proj + ".bias", m.zeros(new Shape(d)));
            }
            w.put(l + "mlp.fc1.weight", m.randomNormal(0, 0.02f, new Shape(inner, d), ai.djl.ndarray.types.DataType.FLOAT32));
            w.put(l + "mlp.fc1.bias", m.zeros(new Shape(inner)));
            w.put(l + "mlp.fc2.weight", m.randomNormal(0, 0.02f, new Shape(d, inner), ai.djl.ndarray.types.DataType.FLOAT32));
            w.put(l + "mlp.fc2.bias", m.zeros(new Shape(d)));
        }
        return w;
    }

    /** Scoring time per item against one 20-token greedy generation of the mini world's base. */
    private static void scoring(Path root) {
        List<String> references = new ArrayList<>();
        List<String> answers = new ArrayList<>();
        String[] nouns = {"白い猫", "赤い車", "木の机", "青い空", "大きな犬", "二本の花", "駅の前の店", "古い本"};
        for (int i = 0; i < 400; i++) {
            references.add(nouns[i % nouns.length] + "がいます。");
            answers.add("写真には" + nouns[(i * 3) % nouns.length] + "と" + nouns[(i * 5 + 1) % nouns.length] + "が写っています。");
        }
        VqaScore score = new VqaScore();
        score.corpus(references.subList(0, 50), answers.subList(0, 50), 1); // warm-up: dictionary load, JIT
        long t0 = System.nanoTime();
        for (int i = 0; i < references.size(); i++) {
            score.score(references.get(i), answers.get(i));
        }
        double perItem = (System.nanoTime() - t0) / 1e9 / references.size();
        Path base = root.resolve("models/mini-world/base");
        double generation;
        try (Checkpoint c = Checkpoint.open(base); Transformer model = Transformer.load(c, Device.cpu());
             Tokenizer tokenizer = Tokenizer.load(base, c.config())) {
            Generator g = new Generator(model, tokenizer);
            Generator.Options twenty = new Generator.Options(20, List.of(), false);
            g.generateText(List.of("Tom has 3 apples."), twenty); // warm-up
            long t1 = System.nanoTime();
            int runs = 10;
            for (int i = 0; i < runs; i++) {
                g.generateText(List.of("Tom has " + i + " apples."), twenty);
            }
            generation = (System.nanoTime() - t1) / 1e9 / runs;
        }
        System.out.printf(Locale.ROOT, "VQA scoring: %.0f us per item; one 20-token greedy generation of the mini world's 1M base: %.1f ms; scoring = %.1f%% of it (goal < 5%%)%n",
                perItem * 1e6, generation * 1e3, 100 * perItem / generation);
    }
}
