package dev.evomerge.io;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * A Hugging Face {@code config.json} of the Llama family of decoders (llama, mistral, qwen2):
 * the numbers the model code needs, validated once here so a bad config fails on load with the
 * key that is wrong, never later with wrong numbers. The parsed JSON is kept ({@link #raw}) so a
 * merged model's config.json is the base's with only what changed rewritten.
 */
public record ModelConfig(
        String modelType,
        int vocabSize,
        int hiddenSize,
        int intermediateSize,
        int numHiddenLayers,
        int numAttentionHeads,
        int numKeyValueHeads,
        int headDim,
        int maxPositionEmbeddings,
        double rmsNormEps,
        double ropeTheta,
        boolean tieWordEmbeddings,
        boolean attentionBias,
        Integer slidingWindow,
        Integer bosTokenId,
        List<Integer> eosTokenIds,
        String torchDtype,
        List<Double> layerScales,
        ObjectNode raw) {

    public static final Set<String> SUPPORTED_MODEL_TYPES = Set.of("llama", "mistral", "qwen2");

    /**
     * The model type of a layer path exported with scales other than 1 (a data-flow merge's
     * {@code best/}): a model of type {@link #LAYER_PATH_BASE_TYPE} whose layer i's input is
     * multiplied by {@link #LAYER_SCALES}[i]. Hugging Face refuses the unknown type rather than
     * run the layers without their scales; a path with unit scales is written as a plain model.
     */
    public static final String LAYER_PATH_MODEL_TYPE = "evomerge_layer_path";
    public static final String LAYER_PATH_BASE_TYPE = "evomerge_model_type";
    public static final String LAYER_SCALES = "evomerge_layer_scales";

    private static final ObjectMapper JSON = new ObjectMapper();

    public static ModelConfig read(Path configJson) {
        String file = configJson.toString();
        try {
            return parse(file, Files.readAllBytes(configJson));
        } catch (IOException e) {
            throw new CheckpointException(file, "cannot read config.json: " + e.getMessage().replace('\n', ' '), e);
        }
    }

    /** A config.json's bytes, wherever they were read from; {@code file} names it in errors. */
    public static ModelConfig parse(String file, byte[] configJson) {
        JsonNode node;
        try {
            node = JSON.readTree(configJson);
        } catch (IOException e) {
            throw new CheckpointException(file, "cannot read config.json: " + e.getMessage().replace('\n', ' '), e);
        }
        if (node == null || !node.isObject()) {
            throw new CheckpointException(file, "config.json is not a JSON object");
        }
        return parse(file, (ObjectNode) node);
    }

    public static ModelConfig parse(String file, ObjectNode c) {
        Fields f = new Fields(file, c);
        String modelType = f.string("model_type");
        boolean scaledPath = modelType.equals(LAYER_PATH_MODEL_TYPE);
        if (scaledPath) {
            modelType = f.string(LAYER_PATH_BASE_TYPE);
        }
        if (!SUPPORTED_MODEL_TYPES.contains(modelType)) {
            throw new CheckpointException(file, "key 'model_type': '" + modelType
                    + "' is not supported (supported: llama, mistral, qwen2)");
        }
        String act = c.path("hidden_act").asText("silu");
        if (!act.equals("silu")) {
            throw new CheckpointException(file, "key 'hidden_act': '" + act + "' is not supported (only silu)");
        }
        JsonNode scaling = c.get("rope_scaling");
        if (scaling != null && !scaling.isNull()) {
            throw new CheckpointException(file, "key 'rope_scaling': type '"
                    + scaling.path("rope_type").asText(scaling.path("type").asText("?")) + "' is not supported");
        }
        JsonNode rope = c.get("rope_parameters"); // transformers 5 writes rope_theta (and any scaling) here
        if (rope != null && rope.isObject() && !rope.path("rope_type").asText("default").equals("default")) {
            throw new CheckpointException(file, "key 'rope_parameters': type '" + rope.path("rope_type").asText()
                    + "' is not supported");
        }
        double ropeTheta = rope != null && rope.has("rope_theta") && !c.hasNonNull("rope_theta")
                ? new Fields(file + " rope_parameters", (ObjectNode) rope).positiveDouble("rope_theta", 10000.0)
                : f.positiveDouble("rope_theta", 10000.0);
        int hidden = f.positiveInt("hidden_size");
        int heads = f.positiveInt("num_attention_heads");
        int kvHeads = c.has("num_key_value_heads") && !c.get("num_key_value_heads").isNull()
                ? f.positiveInt("num_key_value_heads") : heads;
        if (heads % kvHeads != 0) {
            throw new CheckpointException(file, "key 'num_key_value_heads': " + kvHeads
                    + " does not divide num_attention_heads " + heads);
        }
        int headDim;
        if (c.hasNonNull("head_dim")) {
            headDim = f.positiveInt("head_dim");
        } else {
            if (hidden % heads != 0) {
                throw new CheckpointException(file, "key 'num_attention_heads': " + heads
                        + " does not divide hidden_size " + hidden);
            }
            headDim = hidden / heads;
        }
        if (headDim % 2 != 0) {
            throw new CheckpointException(file, "head dimension " + headDim + " is odd; rotary embeddings need it even");
        }
        boolean qwen = modelType.equals("qwen2");
        Integer sliding = null;
        if (c.hasNonNull("sliding_window") && (!qwen || c.path("use_sliding_window").asBoolean(false))) {
            sliding = f.positiveInt("sliding_window");
        }
        int layers = f.positiveInt("num_hidden_layers");
        return new ModelConfig(
                modelType,
                f.positiveInt("vocab_size"),
                hidden,
                f.positiveInt("intermediate_size"),
                layers,
                heads,
                kvHeads,
                headDim,
                c.has("max_position_embeddings") ? f.positiveInt("max_position_embeddings") : 2048,
                f.positiveDouble("rms_norm_eps", 1e-6),
                ropeTheta,
                c.path("tie_word_embeddings").asBoolean(false),
                qwen || c.path("attention_bias").asBoolean(false), // Qwen2 always has q/k/v biases
                sliding,
                c.hasNonNull("bos_token_id") ? f.nonNegativeInt(c.get("bos_token_id"), "bos_token_id") : null,
                f.tokenIds("eos_token_id"),
                c.path("torch_dtype").asText("float32"),
                scaledPath ? f.scales(LAYER_SCALES, layers) : List.of(),
                c.deepCopy());
    }

    /** The config.json to write for a copy of this model stored in {@code dtype}. */
    public ObjectNode withTorchDtype(DType dtype) {
        ObjectNode copy = raw.deepCopy();
        copy.put("torch_dtype", dtype.torchName());
        return copy;
    }

    public int kvDim() {
        return numKeyValueHeads * headDim;
    }

    /** The value of a config.json key, as this config reads it (defaults applied). */
    public Object value(String key) {
        return switch (key) {
            case "model_type" -> modelType;
            case "num_hidden_layers" -> numHiddenLayers;
            case "hidden_size" -> hiddenSize;
            case "intermediate_size" -> intermediateSize;
            case "num_attention_heads" -> numAttentionHeads;
            case "num_key_value_heads" -> numKeyValueHeads;
            case "head_dim" -> headDim;
            case "vocab_size" -> vocabSize;
            case "rope_theta" -> ropeTheta;
            case "rms_norm_eps" -> rmsNormEps;
            case "sliding_window" -> slidingWindow;
            default -> throw new IllegalArgumentException("no config key '" + key + "' to compare");
        };
    }

    /**
     * Refuses {@code other} (the config of {@code otherName}) where any of {@code keys} differs from this
     * config (of {@code name}): one line naming the other checkpoint, the key and both values, then {@code why}.
     */
    public void requireSame(String name, ModelConfig other, String otherName, String why, String... keys) {
        for (String key : keys) {
            if (!java.util.Objects.equals(value(key), other.value(key))) {
                throw new CheckpointException(otherName, "config.json key '" + key + "': " + other.value(key) + " but " + name
                        + " has " + value(key) + why);
            }
        }
    }

    /** Reads typed fields and names the key when one is missing or wrong. */
    private record Fields(String file, ObjectNode c) {
        String string(String key) {
            JsonNode v = c.get(key);
            if (v == null || !v.isTextual()) {
                throw new CheckpointException(file, "key '" + key + "': missing or not a string");
            }
            return v.textValue();
        }

        int positiveInt(String key) {
            JsonNode v = c.get(key);
            if (v == null || !v.isIntegralNumber() || !v.canConvertToInt() || v.intValue() <= 0) {
                throw new CheckpointException(file, "key '" + key + "': " + (v == null ? "missing" : v + " is not a positive integer"));
            }
            return v.intValue();
        }

        int nonNegativeInt(JsonNode v, String key) {
            if (!v.isIntegralNumber() || !v.canConvertToInt() || v.intValue() < 0) {
                throw new CheckpointException(file, "key '" + key + "': " + v + " is not a token id");
            }
            return v.intValue();
        }

        double positiveDouble(String key, double fallback) {
            JsonNode v = c.get(key);
            if (v == null || v.isNull()) {
                return fallback;
            }
            if (!v.isNumber() || !(v.doubleValue() > 0) || Double.isInfinite(v.doubleValue())) {
                throw new CheckpointException(file, "key '" + key + "': " + v + " is not a positive number");
            }
            return v.doubleValue();
        }

        /** One finite number per layer. */
        List<Double> scales(String key, int layers) {
            JsonNode v = c.get(key);
            if (v == null || !v.isArray() || v.size() != layers) {
                throw new CheckpointException(file, "key '" + key + "': " + (v == null ? "missing" : "not a list of "
                        + layers + " numbers (one per layer)"));
            }
            List<Double> out = new ArrayList<>();
            for (JsonNode x : v) {
                if (!x.isNumber() || !Double.isFinite(x.doubleValue())) {
                    throw new CheckpointException(file, "key '" + key + "': " + x + " is not a finite number");
                }
                out.add(x.doubleValue());
            }
            return List.copyOf(out);
        }

        /** eos_token_id may be one id or a list of ids (Llama 3 style). */
        List<Integer> tokenIds(String key) {
            JsonNode v = c.get(key);
            List<Integer> ids = new ArrayList<>();
            if (v == null || v.isNull()) {
                return ids;
            }
            if (v.isArray()) {
                for (JsonNode id : v) {
                    ids.add(nonNegativeInt(id, key));
                }
            } else {
                ids.add(nonNegativeInt(v, key));
            }
            return List.copyOf(ids);
        }
    }
}
