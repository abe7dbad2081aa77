package dev.evomerge.train;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.evomerge.eval.VqaTask;
import dev.evomerge.io.Checkpoint;
import dev.evomerge.io.CheckpointException;
import dev.evomerge.io.ModelConfig;
import dev.evomerge.io.Storage;
import dev.evomerge.io.TensorNames;
import dev.evomerge.model.MultiModalProjector;
import dev.evomerge.model.Tokenizer;
import dev.evomerge.model.Transformer;
import dev.evomerge.model.VisionTower;
import dev.evomerge.model.WeightSource;
import dev.evomerge.vision.ImagePreprocessor;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

/**
 * Trains a small LLaVA (Liu et al. 2023) from a language model: a new CLIP-style vision tower
 * and projector, and the language model fine-tuned with them, end to end on a VQA set (question,
 * answer, image) with the language-model objective on the answers, as LLaVA's instruction stage
 * trains the projector and the language model; the tower is trained too, there being no CLIP to
 * start from (captioning-style vision pre-training, as CapPa's). The language model gets an
 * {@code <image>} token (its embedding and head rows the mean of the others'), which the
 * features replace. Written as a Hugging Face LLaVA ({@link TrainedVlm}).
 */
public final class VlmTrainer {
    private static final ObjectMapper JSON = new ObjectMapper();
    static final String IMAGE_TOKEN = "<image>";

    private VlmTrainer() {
    }

    /**
     * One VLM's training: the language model it starts from, the new tower's sizes, the VQA set and
     * the prompt template it is put in, and the stages, in order.
     */
    public record Config(Path out, Path languageModel, Vision vision, Path data, String template, List<Stage> stages) {
    }

    /** The parts a stage trains; the others stay as they are (gradients still flow through them). */
    public enum Part {
        VISION_TOWER, PROJECTOR, LANGUAGE_MODEL;

        public static Part of(String name) {
            return valueOf(name.toUpperCase(Locale.ROOT));
        }
    }

    /**
     * A stage of training, as LLaVA's: its first aligns the projector to a frozen language model on
     * captions, its second trains the projector and the language model on instructions.
     */
    public record Stage(java.util.Set<Part> trains, TrainingSettings training) {
    }

    /** The new vision tower (CLIP ViT) and its images: square, {@code imageSize} pixels, in {@code patchSize} patches. */
    public record Vision(int hiddenSize, int intermediateSize, int layers, int heads, int patchSize, int imageSize) {
    }

    public static Trainer.Result train(Config c, PrintStream progress) {
        String where = c.languageModel().toString();
        try (Checkpoint lm = Checkpoint.open(c.languageModel())) {
            if (lm.config().tieWordEmbeddings()) {
                throw new CheckpointException(where, "config.json: tie_word_embeddings is true; the trainer fine-tunes untied models only");
            }
            int imageToken = lm.config().vocabSize();
            ObjectNode textConfig = lm.config().raw().deepCopy();
            textConfig.put("vocab_size", imageToken + 1);
            ObjectNode config = llavaConfig(textConfig, c.vision(), imageToken);
            WeightSource source = withImageRow(WeightSource.of(lm), ModelConfig.parse(where, textConfig));
            long eos = lm.config().eosTokenIds().get(0);
            try (Tokenizer tokenizer = Tokenizer.load(lm.dir(), lm.config());
                 Transformer language = Transformer.load(source, Device.cpu(), DataType.FLOAT32);
                 NDManager visionManager = language.manager().newSubManager()) {
                Map<String, NDArray> initial = initialVision(visionManager, c.vision(), language.config().hiddenSize(),
                        c.stages().get(0).training().seed());
                VisionTower tower = new VisionTower(visionManager, config, initial::containsKey, initial::get, where);
                MultiModalProjector projector = new MultiModalProjector(config, initial::get, where);
                ObjectNode preprocessorConfig = preprocessorConfig(c.vision().imageSize());
                ImagePreprocessor preprocessor = ImagePreprocessor.parse("preprocessor_config.json", preprocessorConfig);
                int imageTokens = tower.featureCount(c.vision().imageSize(), c.vision().imageSize());
                List<TrainingLog.Row> log = new ArrayList<>();
                Map<Integer, TrainingSet> sets = new java.util.HashMap<>(); // per max_length: stages read and decode the set once
                long tokens = 0;
                long padded = 0;
                double seconds = 0;
                for (int i = 0; i < c.stages().size(); i++) {
                    Stage stage = c.stages().get(i);
                    TrainingSettings s = stage.training();
                    TrainingSet data = sets.computeIfAbsent(s.maxLength(), max -> TrainingSet.readVqa(Storage.withDefaults(),
                            c.data().toString(), tokenizer, VqaTask.of(c.template(), 0), imageToken, imageTokens, max, eos));
                    List<NDArray> trainable = new ArrayList<>();
                    trainable.addAll(stage.trains().contains(Part.LANGUAGE_MODEL) ? language.parameters() : List.of());
                    trainable.addAll(stage.trains().contains(Part.VISION_TOWER) ? tower.parameters() : List.of());
                    trainable.addAll(stage.trains().contains(Part.PROJECTOR) ? projector.parameters() : List.of());
                    progress.printf(Locale.ROOT, "training %s, stage %d of %d (%s): %s + a %d-layer vision tower (%d image tokens), "
                                    + "%d examples, %d steps of %d%n", c.out().getFileName(), i + 1, c.stages().size(),
                            stage.trains().stream().map(p -> p.name().toLowerCase(Locale.ROOT)).sorted().toList(),
                            c.languageModel().getFileName(), c.vision().layers(), imageTokens, data.size(), s.steps(), s.batchSize());
                    TrainingLoop.Outcome done = TrainingLoop.run(language.manager(), trainable, data, s, eos, progress,
                            (m, batch) -> loss(m, batch, language, tower, projector, preprocessor, imageToken, imageTokens));
                    trainable.forEach(p -> p.setRequiresGradient(false)); // frozen again: the next stage may not train it
                    int offset = log.isEmpty() ? 0 : log.get(log.size() - 1).step();
                    done.log().forEach(r -> log.add(new TrainingLog.Row(offset + r.step(), r.learningRate(), r.loss(), r.gradNorm())));
                    tokens += done.tokens();
                    padded += done.paddedTokens();
                    seconds += done.seconds();
                }
                long parameters = language.parameters().stream().mapToLong(NDArray::size).sum()
                        + tower.parameters().stream().mapToLong(NDArray::size).sum()
                        + projector.parameters().stream().mapToLong(NDArray::size).sum();
                TrainedVlm.write(c, config, language, initial, lm, preprocessorConfig, log, parameters);
                return new Trainer.Result(c.out(), log, parameters, tokens, padded, seconds);
            }
        }
    }

    /**
     * A batch's loss: each image through the tower and the projector, its features in place of its
     * prompt's image tokens (one run per row, where the row's template puts it), then the language
     * model's loss on the answers.
     */
    static NDArray loss(NDManager m, TrainingSet.Batch batch, Transformer language, VisionTower tower, MultiModalProjector projector,
                        ImagePreprocessor preprocessor, long imageToken, int imageTokens) {
        long[][] ids = batch.ids();
        int side = preprocessor.cropHeight();
        float[] pixels = new float[ids.length * 3 * side * side];
        for (int b = 0; b < ids.length; b++) {
            float[] one = preprocessor.pixels(ImagePreprocessor.decode(batch.images().get(b)));
            System.arraycopy(one, 0, pixels, b * one.length, one.length);
        }
        int[] at = imageSpans(ids, imageToken, imageTokens);
        NDArray features = projector.project(tower.batchFeatures(m.create(pixels, new Shape(ids.length, 3, side, side))));
        NDArray tokens = language.tokens(m, ids);
        // Each row's features placed at its own image tokens by a 0/1 matrix, the text's embeddings kept
        // elsewhere: one batched product whatever each template puts before the image (adding exact zeros,
        // so it is the splice itself, not an approximation of it)
        int t = ids[0].length;
        float[] place = new float[ids.length * t * imageTokens];
        float[] text = new float[ids.length * t];
        java.util.Arrays.fill(text, 1f);
        for (int b = 0; b < ids.length; b++) {
            for (int k = 0; k < imageTokens; k++) {
                place[(b * t + at[b] + k) * imageTokens + k] = 1f;
                text[b * t + at[b] + k] = 0f;
            }
        }
        NDArray x = language.trainingEmbed(tokens).mul(m.create(text, new Shape(ids.length, t, 1)))
                .add(m.create(place, new Shape(ids.length, t, imageTokens)).matMul(features));
        return TrainingLoop.loss(language.forwardEmbeddings(x), tokens, batch);
    }

    /** Where each row's image tokens start: {@code imageTokens} of them in one run. */
    private static int[] imageSpans(long[][] ids, long imageToken, int imageTokens) {
        int[] at = new int[ids.length];
        for (int b = 0; b < ids.length; b++) {
            long[] row = ids[b];
            at[b] = -1;
            for (int i = 0; i < row.length && at[b] < 0; i++) {
                at[b] = row[i] == imageToken ? i : -1;
            }
            for (int i = 0; i < row.length; i++) {
                boolean inSpan = at[b] >= 0 && i >= at[b] && i < at[b] + imageTokens;
                if ((row[i] == imageToken) != inSpan) {
                    throw new IllegalArgumentException("a training prompt's image tokens are not " + imageTokens + " in one run");
                }
            }
        }
        return at;
    }

    /** A LLaVA config.json: the language model's as text_config, a CLIP vision config, the projector's activation. */
    static ObjectNode llavaConfig(ObjectNode textConfig, Vision v, int imageToken) {
        ObjectNode c = JSON.createObjectNode();
        c.putArray("architectures").add("LlavaForConditionalGeneration");
        c.put("model_type", "llava");
        c.put("image_token_index", imageToken);
        c.put("image_seq_length", (v.imageSize() / v.patchSize()) * (v.imageSize() / v.patchSize()));
        c.put("projector_hidden_act", "gelu");
        c.put("multimodal_projector_bias", true);
        c.put("vision_feature_layer", -1);
        c.put("vision_feature_select_strategy", "default");
        c.put("tie_word_embeddings", false);
        c.put("torch_dtype", "float32");
        c.set("text_config", textConfig);
        ObjectNode vision = c.putObject("vision_config");
        vision.put("model_type", "clip_vision_model");
        vision.put("hidden_size", v.hiddenSize());
        vision.put("intermediate_size", v.intermediateSize());
        vision.put("num_hidden_layers", v.layers());
        vision.put("num_attention_heads", v.heads());
        vision.put("patch_size", v.patchSize());
        vision.put("image_size", v.imageSize());
        vision.put("num_channels", 3);
        vision.put("hidden_act", "quick_gelu");
        vision.put("layer_norm_eps", 1e-5);
        vision.put("projection_dim", v.hiddenSize());
        return c;
    }

    /** CLIP's image processing at the tower's size (CLIPImageProcessor's preprocessor_config.json; CLIP's mean and std). */
    static ObjectNode preprocessorConfig(int size) {
        ObjectNode c = JSON.createObjectNode();
        c.put("image_processor_type", "CLIPImageProcessor");
        c.put("do_resize", true);
        c.putObject("size").put("shortest_edge", size);
        c.put("resample", 3);
        c.put("do_center_crop", true);
        c.putObject("crop_size").put("height", size).put("width", size);
        c.put("do_rescale", true);
        c.put("rescale_factor", 1 / 255.0);
        c.put("do_normalize", true);
        c.putArray("image_mean").add(0.48145466).add(0.4578275).add(0.40821073);
        c.putArray("image_std").add(0.26862954).add(0.26130258).add(0.27577711);
        c.put("do_convert_rgb", true);
        return c;
    }

    /**
     * The new tower's and projector's weights, named as the hub's LLaVAs name them: matrices and
     * embeddings N(0, 0.02), biases 0, layer norms 1 and 0 (CLIP's initialization, simplified),
     * each tensor from its own generator seeded by the run's seed and its name.
     */
    static Map<String, NDArray> initialVision(NDManager m, Vision v, int languageWidth, long seed) {
        Map<String, long[]> shapes = new LinkedHashMap<>();
        String p = "vision_tower.vision_model.";
        int d = v.hiddenSize();
        int positions = (v.imageSize() / v.patchSize()) * (v.imageSize() / v.patchSize()) + 1;
        shapes.put(p + "embeddings.class_embedding", new long[] {d});
        shapes.put(p + "embeddings.patch_embedding.weight", new long[] {d, 3, v.patchSize(), v.patchSize()});
        shapes.put(p + "embeddings.position_embedding.weight", new long[] {positions, d});
        shapes.put(p + "pre_layrnorm.weight", new long[] {d});
        shapes.put(p + "pre_layrnorm.bias", new long[] {d});
        for (int i = 0; i < v.layers(); i++) {
            String l = p + "encoder.layers." + i + ".";
            for (String norm : List.of("layer_norm1", "layer_norm2")) {
                shapes.put(l + norm + ".weight", new long[] {d});
                shapes.put(l + norm + ".bias", new long[] {d});
            }
            for (String proj : List.of("q_proj", "k_proj", "v_proj", "out_proj")) {
                shapes.put(l + "self_attn." + proj + ".weight", new long[] {d, d});
                shapes.put(l + "self_attn." + proj + ".bias", new long[] {d});
            }
            shapes.put(l + "mlp.fc1.weight", new long[] {v.intermediateSize(), d});
            shapes.put(l + "mlp.fc1.bias", new long[] {v.intermediateSize()});
            shapes.put(l + "mlp.fc2.weight", new long[] {d, v.intermediateSize()});
            shapes.put(l + "mlp.fc2.bias", new long[] {d});
        }
        // CLIPVisionModel has a final norm; LLaVA reads a hidden state before it, so it stays as initialized
        shapes.put(p + "post_layernorm.weight", new long[] {d});
        shapes.put(p + "post_layernorm.bias", new long[] {d});
        shapes.put("multi_modal_projector.linear_1.weight", new long[] {languageWidth, d});
        shapes.put("multi_modal_projector.linear_1.bias", new long[] {languageWidth});
        shapes.put("multi_modal_projector.linear_2.weight", new long[] {languageWidth, languageWidth});
        shapes.put("multi_modal_projector.linear_2.bias", new long[] {languageWidth});
        Map<String, NDArray> out = new LinkedHashMap<>();
        shapes.forEach((name, shape) -> {
            float[] values = new float[Math.toIntExact(new Shape(shape).size())];
            boolean norm = name.contains("layer_norm") || name.contains("layrnorm");
            if (norm && name.endsWith(".weight")) {
                java.util.Arrays.fill(values, 1f);
            } else if (!name.endsWith(".bias")) {
                Random rnd = new Random(seed * 0x9E3779B97F4A7C15L ^ name.hashCode());
                for (int i = 0; i < values.length; i++) {
                    values[i] = (float) (rnd.nextGaussian() * 0.02);
                }
            }
            out.put(name, m.create(values, new Shape(shape)));
        });
        return out;
    }

    /** {@code source} with one more row in the embeddings and the head, for the image token: the mean of the others. */
    private static WeightSource withImageRow(WeightSource source, ModelConfig config) {
        return new WeightSource() {
            @Override
            public String name() {
                return source.name();
            }

            @Override
            public ModelConfig config() {
                return config;
            }

            @Override
            public boolean contains(String tensor) {
                return source.contains(tensor);
            }

            @Override
            public long[] shape(String tensor) {
                long[] s = source.shape(tensor);
                s[0] += grows(tensor) ? 1 : 0;
                return s;
            }

            @Override
            public NDArray load(NDManager manager, String tensor, DataType target) {
                NDArray t = source.load(manager, tensor, target);
                if (!grows(tensor)) {
                    return t;
                }
                NDArray grown = NDArrays.concat(new NDList(t, t.mean(new int[] {0}, true)), 0);
                t.close();
                return grown;
            }
        };
    }

    private static boolean grows(String tensor) {
        return tensor.equals(TensorNames.EMBEDDINGS) || tensor.equals(TensorNames.HEAD);
    }
}
