package dev.evomerge.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Hub VLM configs leave most of text_config to transformers' defaults. The text_configs below are
 * the published ones of llava-hf/llava-v1.6-mistral-7b-hf and llava-hf/llava-1.5-7b-hf, verbatim
 * but for _name_or_path; the expected numbers are Mistral-7B's and Vicuna-7B's (Llama-2-7B's) as
 * their papers and model cards give them.
 */
class LlavaLayoutTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static ModelConfig textOf(String textConfig) throws Exception {
        ObjectNode config = (ObjectNode) JSON.readTree("{\"model_type\": \"llava_next\", \"vision_config\": {}, \"text_config\": "
                + textConfig + "}");
        return LlavaLayout.of("vlm", config, List.of("language_model.model.embed_tokens.weight")).languageConfig("vlm");
    }

    @Test
    void llava16MistralsPartialTextConfigIsMistral7B() throws Exception {
        ModelConfig c = textOf("{\"architectures\": [\"MistralForCausalLM\"], \"intermediate_size\": 14336, "
                + "\"max_position_embeddings\": 32768, \"model_type\": \"mistral\", \"num_key_value_heads\": 8, \"rms_norm_eps\": 1e-05, "
                + "\"rope_theta\": 1000000.0, \"sliding_window\": null, \"torch_dtype\": \"bfloat16\", \"vocab_size\": 32064}");
        assertEquals("mistral", c.modelType());
        assertEquals(4096, c.hiddenSize());
        assertEquals(32, c.numHiddenLayers());
        assertEquals(32, c.numAttentionHeads());
        assertEquals(8, c.numKeyValueHeads());
        assertEquals(128, c.headDim());
        assertEquals(14336, c.intermediateSize());
        assertEquals(32064, c.vocabSize());
        assertEquals(1e6, c.ropeTheta());
        assertNull(c.slidingWindow(), "null in the config stays null: no default window");
    }

    @Test
    void llava15sTextConfigIsVicuna7B() throws Exception {
        ModelConfig c = textOf("{\"architectures\": [\"LlamaForCausalLM\"], \"max_position_embeddings\": 4096, "
                + "\"model_type\": \"llama\", \"rms_norm_eps\": 1e-05, \"torch_dtype\": \"float16\", \"vocab_size\": 32064}");
        assertEquals(4096, c.hiddenSize());
        assertEquals(11008, c.intermediateSize());
        assertEquals(32, c.numKeyValueHeads(), "Llama-2-7B has no grouped KV heads");
        assertEquals(4096, c.maxPositionEmbeddings());
        assertEquals(1e-5, c.rmsNormEps());
    }

    @Test
    void namingsAndErrors() throws Exception {
        ObjectNode config = (ObjectNode) JSON.readTree("{\"model_type\": \"llava\", \"vision_config\": {}, \"text_config\": {}}");
        LlavaLayout hub = LlavaLayout.of("vlm", config, List.of("language_model.model.norm.weight"));
        assertEquals("model.layers.0.mlp.up_proj.weight", hub.languageName("language_model.model.layers.0.mlp.up_proj.weight"));
        assertEquals("lm_head.weight", hub.languageName("language_model.lm_head.weight"));
        assertNull(hub.languageName("vision_tower.vision_model.post_layernorm.weight"));
        LlavaLayout v5 = LlavaLayout.of("vlm", config, List.of("model.language_model.norm.weight"));
        assertEquals("model.language_model.norm.weight", v5.storedName("model.norm.weight"));
        assertEquals("lm_head.weight", v5.storedName("lm_head.weight"));
        assertEquals("model.vision_tower.x", v5.ownName("vision_tower.x"));
        assertEquals("vlm: no language-model tensors (language_model.model.* or model.language_model.*)",
                assertThrows(CheckpointException.class, () -> LlavaLayout.of("vlm", config, List.of("vision_tower.x"))).getMessage());
        config.put("model_type", "qwen2_vl");
        assertEquals("vlm: config.json key 'model_type': 'qwen2_vl' is a vision-language model evomerge cannot read "
                + "(supported: llava, llava_next)", assertThrows(CheckpointException.class, () -> LlavaLayout.of("vlm", config,
                List.of("language_model.model.norm.weight"))).getMessage());
    }
}
