package dev.evomerge.merge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The README's mergekit compatibility table, row by row: each key of mergekit's recipe format
 * is accepted (and survives a round trip through {@link MergeConfig#toYaml}) or refused with the
 * reason the table gives, in one line naming the key.
 */
class MergeConfigKeysTest {
    private static final String MODELS = "models:\n  - {model: a, parameters: {weight: 0.5}}\n  - {model: b, parameters: {weight: 0.5}}\n";
    private static final String TA = "merge_method: task_arithmetic\nbase_model: base\n" + MODELS;

    static Stream<Arguments> keys() {
        return Stream.of(
                // key, recipe, null when accepted, else the start of the one-line refusal
                Arguments.of("merge_method", "merge_method: linear\n" + MODELS, null),
                Arguments.of("merge_method (mergekit's, not here)", "merge_method: karcher\n" + MODELS, "r.yaml: key 'merge_method': unknown merge method 'karcher'"),
                Arguments.of("base_model", TA, null),
                Arguments.of("models[].parameters", TA.replace("weight: 0.5}}\n  - {model: b", "weight: [0.1, 0.9]}}\n  - {model: b"), null),
                Arguments.of("models[] unknown key", "merge_method: linear\nmodels:\n  - {model: a, weight: 1}\n", "r.yaml: key 'models[0].weight': unknown key"),
                Arguments.of("slices with several sources", """
                        merge_method: slerp
                        base_model: a
                        slices:
                          - sources:
                              - {model: a, layer_range: [0, 4], parameters: {}}
                              - {model: b, layer_range: [0, 4]}
                            parameters: {t: [0, 1]}
                        """, null),
                Arguments.of("slices[].base_model", """
                        merge_method: task_arithmetic
                        base_model: base
                        slices:
                          - sources: [{model: base, layer_range: [0, 2]}, {model: a, layer_range: [0, 2], parameters: {weight: 1}}]
                          - sources: [{model: b, layer_range: [2, 4], parameters: {weight: 1}}, {model: other, layer_range: [2, 4]}]
                            base_model: other
                        """, null),
                Arguments.of("slices[].residual_weight", "merge_method: passthrough\nslices:\n  - sources: [{model: a, layer_range: [0, 2]}]\n"
                        + "    residual_weight: 0.5\n", "r.yaml: key 'slices[0].residual_weight': not supported: mergekit declares it but no merge method reads it"),
                Arguments.of("modules", "merge_method: linear\nmodules: {text_decoder: {models: [{model: a}]}}\n",
                        "r.yaml: key 'modules': not supported: multi-module merges"),
                Arguments.of("parameters", TA + "parameters: {normalize: true, lambda: 0.8, int8_mask: false, rescale: false}\n", null),
                Arguments.of("density on task_arithmetic (declared by mergekit, unused)", TA + "parameters: {density: 0.5}\n", null),
                Arguments.of("dtype", TA + "dtype: bfloat16\n", null),
                Arguments.of("out_dtype", TA + "dtype: float32\nout_dtype: bfloat16\n", null),
                Arguments.of("out_dtype unknown type", TA + "out_dtype: float8\n", "r.yaml: key 'out_dtype': "),
                Arguments.of("tokenizer_source: union", TA + "tokenizer_source: union\n", null),
                Arguments.of("tokenizer_source: a model", TA + "tokenizer_source: a\n", null),
                Arguments.of("tokenizer", TA + """
                        tokenizer:
                          source: base
                          tokens:
                            <|im_start|>: {source: a}
                            <|im_end|>: {source: {kind: model_token, model: b, token: </s>}, force: true}
                            <pad>: {source: {kind: zero}}
                          pad_to_multiple_of: 64
                        """, null),
                Arguments.of("tokenizer and tokenizer_source", TA + "tokenizer_source: base\ntokenizer: {source: union}\n",
                        "r.yaml: key 'tokenizer': give tokenizer or tokenizer_source, not both"),
                Arguments.of("tokenizer token source kind", TA + "tokenizer: {tokens: {x: {source: {kind: mean}}}}\n",
                        "r.yaml: key 'tokenizer.tokens.x.source.kind': must be zero or model_token"),
                Arguments.of("chat_template (text)", TA + "chat_template: \"{% for m in messages %}{{ m['content'] }}{% endfor %}\"\n", null),
                Arguments.of("chat_template: auto", TA + "chat_template: auto\n", null),
                Arguments.of("chat_template (a mergekit name)", TA + "chat_template: chatml\n",
                        "r.yaml: key 'chat_template': 'chatml' names one of mergekit's bundled templates"),
                Arguments.of("model+lora", "merge_method: linear\nmodels:\n  - {model: a+adapter, parameters: {weight: 1}}\n",
                        "r.yaml: key 'models[0].model': 'a+adapter' names a LoRA adapter"),
                Arguments.of("seed", TA + "seed: 7\n", null));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("keys")
    void eachKeyIsTakenWithItsMeaningOrRefusedWithTheReason(String key, String yaml, String refusal) {
        if (refusal == null) {
            MergeConfig cfg = MergeConfig.parse("r.yaml", yaml);
            assertEquals(cfg, MergeConfig.parse("again", cfg.toYaml()), key + ": the canonical YAML reads back as the same recipe");
            return;
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> MergeConfig.parse("r.yaml", yaml), key);
        assertTrue(e.getMessage().startsWith(refusal), key + ": " + e.getMessage());
        assertEquals(1, e.getMessage().lines().count(), e.getMessage());
    }
}
