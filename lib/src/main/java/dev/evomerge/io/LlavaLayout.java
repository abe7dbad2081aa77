package dev.evomerge.io;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Collection;
import java.util.Map;
import java.util.Set;

/**
 * How a LLaVA checkpoint (model_type {@code llava}, {@code llava_next}) stores its language
 * model, so that the rest of evomerge sees that language model as a plain Llama-family LLM
 * ({@code model.*}, {@code lm_head.weight}, the {@code text_config} as its config) and everything
 * else (the vision tower, the projector, LLaVA-1.6's {@code image_newline}) as the VLM's own
 * tensors, carried unchanged.
 *
 * <p>Two namings: the llava-hf hub's ({@code language_model.model.*},
 * {@code language_model.lm_head.weight}) and transformers 5's ({@code model.language_model.*},
 * {@code lm_head.weight}). A merged VLM keeps the naming of the VLM it came from.
 */
public record LlavaLayout(String modelPrefix, String headName, ObjectNode config) {
    public static final Set<String> MODEL_TYPES = Set.of("llava", "llava_next");

    private static final String HUB_PREFIX = "language_model.model.";
    private static final String HUB_HEAD = "language_model.lm_head.weight";
    private static final String V5_PREFIX = "model.language_model.";
    private static final String V5_HEAD = "lm_head.weight";

    /**
     * Hugging Face's defaults for keys a hub VLM's {@code text_config} leaves out (llava-v1.6-mistral's
     * has no hidden_size or num_hidden_layers): LlamaConfig's and MistralConfig's, as transformers
     * fills them in.
     */
    private static final Map<String, Map<String, Object>> TEXT_DEFAULTS = Map.of(
            "llama", Map.of("vocab_size", 32000, "hidden_size", 4096, "intermediate_size", 11008, "num_hidden_layers", 32,
                    "num_attention_heads", 32, "max_position_embeddings", 2048, "rms_norm_eps", 1e-6, "rope_theta", 10000.0),
            "mistral", Map.of("vocab_size", 32000, "hidden_size", 4096, "intermediate_size", 14336, "num_hidden_layers", 32,
                    "num_attention_heads", 32, "num_key_value_heads", 8, "max_position_embeddings", 131072, "rms_norm_eps", 1e-6,
                    "rope_theta", 10000.0, "sliding_window", 4096));

    /** Whether a config.json is a vision-language model's (a text_config and a vision_config). */
    public static boolean isVlm(JsonNode config) {
        return config.path("text_config").isObject() && config.path("vision_config").isObject();
    }

    /** The layout of a VLM with this config and these stored tensor names; one clear error for a VLM evomerge cannot read. */
    public static LlavaLayout of(String where, ObjectNode config, Collection<String> storedNames) {
        String type = config.path("model_type").asText("?");
        if (!MODEL_TYPES.contains(type)) {
            throw new CheckpointException(where, "config.json key 'model_type': '" + type
                    + "' is a vision-language model evomerge cannot read (supported: llava, llava_next)");
        }
        if (storedNames.stream().anyMatch(n -> n.startsWith(HUB_PREFIX))) {
            return new LlavaLayout(HUB_PREFIX, HUB_HEAD, config);
        }
        if (storedNames.stream().anyMatch(n -> n.startsWith(V5_PREFIX))) {
            return new LlavaLayout(V5_PREFIX, V5_HEAD, config);
        }
        throw new CheckpointException(where, "no language-model tensors (" + HUB_PREFIX + "* or " + V5_PREFIX + "*)");
    }

    /** The language model's name for a stored tensor ({@code model.*}, {@code lm_head.weight}), or null for the VLM's own. */
    public String languageName(String stored) {
        if (stored.startsWith(modelPrefix)) {
            return "model." + stored.substring(modelPrefix.length());
        }
        return stored.equals(headName) ? TensorNames.HEAD : null;
    }

    /** The language model's tensors among {@code stored}, under an LLM's names, in stored order. */
    public Map<String, TensorInfo> languageTensors(Collection<TensorInfo> stored) {
        Map<String, TensorInfo> out = new java.util.LinkedHashMap<>();
        for (TensorInfo t : stored) {
            String name = languageName(t.name());
            if (name != null) {
                out.put(name, new TensorInfo(name, t.dtype(), t.shape(), t.begin(), t.end()));
            }
        }
        return out;
    }

    /** The language model's config, parsed; {@code where} names the checkpoint. */
    public ModelConfig languageConfig(String where) {
        return ModelConfig.parse(where + " (text_config)", textConfig());
    }

    /** The stored name of a language-model tensor, as this VLM names it. */
    public String storedName(String languageName) {
        if (languageName.equals(TensorNames.HEAD)) {
            return headName;
        }
        if (!languageName.startsWith("model.")) {
            throw new IllegalArgumentException(languageName + " is no language-model tensor");
        }
        return modelPrefix + languageName.substring("model.".length());
    }

    /**
     * The stored name of one of the VLM's own tensors given its hub name ({@code vision_tower.*},
     * {@code multi_modal_projector.*}, {@code image_newline}): transformers 5's in-memory naming
     * puts them under {@code model.}.
     */
    public String ownName(String hubName) {
        return modelPrefix.equals(V5_PREFIX) ? "model." + hubName : hubName;
    }

    /** The language model's config.json: the text_config with Hugging Face's defaults filled in. */
    public ObjectNode textConfig() {
        ObjectNode text = ((ObjectNode) config.get("text_config")).deepCopy();
        if (!text.has("model_type")) {
            text.put("model_type", "llama"); // LlavaConfig's default text model
        }
        Map<String, Object> defaults = TEXT_DEFAULTS.getOrDefault(text.get("model_type").asText(), Map.of());
        defaults.forEach((key, value) -> {
            if (!text.has(key)) {
                if (value instanceof Integer i) {
                    text.put(key, i);
                } else {
                    text.put(key, (Double) value);
                }
            }
        });
        if (!text.has("torch_dtype") && config.has("torch_dtype")) {
            text.set("torch_dtype", config.get("torch_dtype"));
        }
        return text;
    }

    /** This VLM's config.json with a merged language model's config as its text_config, in {@code torchDtype}. */
    public ObjectNode withTextConfig(ObjectNode languageConfig, String torchDtype) {
        ObjectNode out = config.deepCopy();
        ObjectNode text = languageConfig.deepCopy();
        text.remove("transformers_version");
        out.set("text_config", text);
        out.put("torch_dtype", torchDtype);
        if (out.has("dtype")) {
            out.put("dtype", torchDtype);
        }
        return out;
    }
}
