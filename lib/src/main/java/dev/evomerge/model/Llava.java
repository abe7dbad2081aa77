package dev.evomerge.model;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.evomerge.io.CheckpointException;
import dev.evomerge.io.ModelConfig;
import dev.evomerge.io.SafetensorsFile;
import dev.evomerge.vision.AnyResolution;
import dev.evomerge.vision.ImagePreprocessor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A LLaVA checkpoint (Hugging Face's LlavaForConditionalGeneration and, with
 * {@code image_grid_pinpoints}, LlavaNextForConditionalGeneration layouts) on DJL: the vision
 * tower and projector turn an image into features (LLaVA-1.6: per any-resolution tile, packed by
 * {@link AnyResolutionFeatures}), which take the places of the prompt's {@code <image>} tokens
 * ({@code image_token_index}); the language model is the engine's own
 * {@link Transformer} over the checkpoint's {@code text_config}, its tensors read under the VLM's
 * names ({@code language_model.model.*} and {@code language_model.lm_head.weight} as the hub
 * stores them, or transformers 5's {@code model.language_model.*} and {@code lm_head.weight}).
 */
public final class Llava implements AutoCloseable {
    private final List<SafetensorsFile> files;
    private final Map<String, SafetensorsFile> fileOf = new LinkedHashMap<>();
    private final NDManager manager = NDManager.newBaseManager();
    private final VisionTower tower;
    private final MultiModalProjector projector;
    private final Transformer language;
    private final long imageToken;
    private final List<int[]> pinpoints;
    private final int tileSize;
    private final int tileSide;
    private final NDArray newline;
    private final ImagePreprocessor preprocessor;

    private Llava(Path dir) {
        String where = dir.toString();
        JsonNode config;
        try {
            config = new ObjectMapper().readTree(Files.readString(dir.resolve("config.json")));
        } catch (IOException e) {
            throw new CheckpointException(where, "cannot read config.json: " + e.getMessage());
        }
        if (!config.path("text_config").isObject() || !config.path("vision_config").isObject()) {
            throw new CheckpointException(where, "config.json: not a LLaVA (no text_config and vision_config)");
        }
        imageToken = config.path("image_token_index").asLong(-1);
        if (imageToken < 0) {
            throw new CheckpointException(where, "config.json: image_token_index missing");
        }
        pinpoints = AnyResolution.pinpoints(where + ": config.json: image_grid_pinpoints", config.get("image_grid_pinpoints"));
        tileSize = config.path("vision_config").path("image_size").asInt(224);
        tileSide = tileSize / config.path("vision_config").path("patch_size").asInt(14);
        Path preprocessorConfig = dir.resolve("preprocessor_config.json");
        preprocessor = Files.isRegularFile(preprocessorConfig) ? ImagePreprocessor.read(preprocessorConfig) : null;
        files = openShards(dir);
        try {
            tower = new VisionTower(manager, config, fileOf::containsKey, this::load, where);
            projector = new MultiModalProjector(config, this::load, where);
            newline = pinpoints.isEmpty() ? null : load(fileOf.containsKey("image_newline") ? "image_newline" : "model.image_newline");
            language = Transformer.load(new LanguageModel(where, textConfig(where, (ObjectNode) config.get("text_config"))),
                    Device.cpu(), DataType.FLOAT32);
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    public static Llava open(Path dir) {
        return new Llava(dir);
    }

    public Transformer languageModel() {
        return language;
    }

    public long imageTokenId() {
        return imageToken;
    }

    /** An image (RGB, [height][width][3]) as the checkpoint's preprocessor_config.json prepares it. */
    public LlavaImage prepare(int[][][] rgb) {
        if (preprocessor == null) {
            throw new CheckpointException(where(), "no preprocessor_config.json: the image preprocessing is unknown");
        }
        return new LlavaImage(preprocessor.tilePixels(rgb), rgb.length, rgb[0].length);
    }

    /** The projected features of one image: [tokens, language width], one token per {@code <image>} in a prompt. */
    public NDArray imageFeatures(LlavaImage image) {
        NDList perTile = new NDList();
        for (float[] tile : image.tiles()) {
            int side = (int) Math.round(Math.sqrt(tile.length / 3.0));
            perTile.add(projector.project(tower.features(manager.create(tile, new Shape(3, side, side)))));
        }
        if (pinpoints.isEmpty()) {
            if (perTile.size() != 1) {
                throw new IllegalArgumentException(where() + ": a LLaVA-1.5 image is one tower input, got " + perTile.size());
            }
            return perTile.get(0);
        }
        return AnyResolutionFeatures.pack(NDArrays.stack(perTile), tileSide, tileSize, pinpoints, image.height(),
                image.width(), newline, where());
    }

    /**
     * Logits [T, V] of a prompt whose {@code <image>} tokens (as many as the image has features,
     * as LLaVA's processor expands them) are replaced by the image's features.
     */
    public NDArray logits(NDManager m, long[] ids, LlavaImage image) {
        return language.forwardEmbeddings(prompt(m, ids, image)).get(0);
    }

    /**
     * Greedy continuation of such a prompt, up to {@code maxNewTokens}, ending before an EOS token:
     * the prompt enters the KV cache as embeddings, then decoding runs as for text.
     */
    public long[] generate(long[] ids, LlavaImage image, int maxNewTokens) {
        List<Long> eos = language.config().eosTokenIds().stream().map(Integer::longValue).toList();
        List<Long> out = new ArrayList<>();
        try (NDManager m = language.manager().newSubManager();
             KvCache cache = new KvCache(m, language.depth(), 1, (long) ids.length + maxNewTokens)) {
            long[] ones = new long[ids.length];
            java.util.Arrays.fill(ones, 1);
            NDArray logits = language.forwardEmbeddings(prompt(m, ids, image), Transformer.longs(m, new long[][] {ones}),
                    cache, true);
            for (int n = 0; n < maxNewTokens; n++) {
                long next = logits.argMax(-1).toLongArray()[0];
                if (eos.contains(next)) {
                    break;
                }
                out.add(next);
                logits = language.forward(language.tokens(m, new long[][] {{next}}), Transformer.longs(m, new long[][] {{1}}),
                        cache, true);
            }
        }
        return out.stream().mapToLong(Long::longValue).toArray();
    }

    /** The prompt's embeddings [1, T, D]: token rows, and the image's features in the image tokens' places. */
    private NDArray prompt(NDManager m, long[] ids, LlavaImage image) {
        NDArray features = imageFeatures(image);
        long imageTokens = java.util.Arrays.stream(ids).filter(id -> id == imageToken).count();
        if (imageTokens != features.getShape().get(0)) {
            throw new IllegalArgumentException("the prompt has " + imageTokens + " image tokens, the image gives "
                    + features.getShape().get(0) + " features");
        }
        NDArray tokens = language.embed(m.create(ids, new Shape(1, ids.length))).get(0); // [T, D]
        List<NDArray> rows = new ArrayList<>();
        int next = 0;
        for (int i = 0; i < ids.length; i++) {
            rows.add(ids[i] == imageToken ? features.get(next++).expandDims(0) : tokens.get(i).expandDims(0));
        }
        return NDArrays.concat(new NDList(rows)).expandDims(0);
    }

    private String where() {
        return files.get(0).path().getParent().toString();
    }

    private NDArray load(String name) {
        SafetensorsFile f = fileOf.get(name);
        if (f == null) {
            throw new CheckpointException(where(), "no tensor '" + name + "'");
        }
        return manager.create(f.floats(name), new Shape(f.tensor(name).shape()));
    }

    /** transformers 5 keeps rope_theta under rope_parameters; the engine's config reads it at the top. */
    private static ModelConfig textConfig(String where, ObjectNode text) {
        ObjectNode c = text.deepCopy();
        if (!c.has("rope_theta") && c.path("rope_parameters").has("rope_theta")) {
            c.put("rope_theta", c.path("rope_parameters").path("rope_theta").asDouble());
        }
        c.remove("rope_parameters");
        return ModelConfig.parse(where + " (text_config)", c);
    }

    /** The weight files (as a checkpoint's: the index's shards, else model.safetensors), each tensor's file noted. */
    private List<SafetensorsFile> openShards(Path dir) {
        List<SafetensorsFile> out = new ArrayList<>();
        for (String n : dev.evomerge.io.Checkpoint.weightFiles(dir)) {
            SafetensorsFile f = SafetensorsFile.open(dir.resolve(n));
            out.add(f);
            f.tensors().forEach(t -> fileOf.put(t.name(), f));
        }
        return out;
    }

    /** The language model's tensors under the engine's names ({@code model.*}, {@code lm_head.weight}). */
    private final class LanguageModel implements WeightSource {
        private final String where;
        private final ModelConfig config;

        LanguageModel(String where, ModelConfig config) {
            this.where = where;
            this.config = config;
        }

        private String stored(String tensor) {
            String rest = tensor.startsWith("model.") ? tensor.substring("model.".length()) : null;
            for (String candidate : rest != null
                    ? new String[] {"language_model.model." + rest, "model.language_model." + rest}
                    : new String[] {"language_model." + tensor, tensor}) {
                if (fileOf.containsKey(candidate)) {
                    return candidate;
                }
            }
            return null;
        }

        @Override
        public String name() {
            return where;
        }

        @Override
        public ModelConfig config() {
            return config;
        }

        @Override
        public boolean contains(String tensor) {
            return stored(tensor) != null;
        }

        @Override
        public long[] shape(String tensor) {
            String s = required(tensor);
            return fileOf.get(s).tensor(s).shape();
        }

        @Override
        public NDArray load(NDManager m, String tensor, DataType target) {
            String s = required(tensor);
            return DeviceTensors.fromFloats(m, fileOf.get(s).floats(s), new Shape(fileOf.get(s).tensor(s).shape()), target, where, s);
        }

        private String required(String tensor) {
            String s = stored(tensor);
            if (s == null) {
                throw new CheckpointException(where, "no tensor for the language model's '" + tensor
                        + "' (under language_model. or model.language_model.)");
            }
            return s;
        }
    }

    @Override
    public void close() {
        if (language != null) {
            language.close();
        }
        manager.close();
        if (files != null) {
            files.forEach(SafetensorsFile::close);
        }
    }
}
