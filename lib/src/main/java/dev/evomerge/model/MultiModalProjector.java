package dev.evomerge.model;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Activation;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.function.Function;

/**
 * LLaVA's projector from the vision tower's width to the language model's: linear, GELU
 * (exact, erf: transformers' "gelu"), linear (Liu et al. 2023, LLaVA-1.5's MLP projector). The
 * image features it gives stand in the prompt where the {@code <image>} token was.
 */
public final class MultiModalProjector {
    private final NDArray w1;
    private final NDArray b1;
    private final NDArray w2;
    private final NDArray b2;

    public MultiModalProjector(JsonNode config, Function<String, NDArray> load, String where) {
        String act = config.path("projector_hidden_act").asText("gelu");
        if (!act.equals("gelu")) {
            throw new IllegalArgumentException(where + ": projector_hidden_act: '" + act + "' is not supported (gelu)");
        }
        w1 = load.apply("multi_modal_projector.linear_1.weight");
        b1 = load.apply("multi_modal_projector.linear_1.bias");
        w2 = load.apply("multi_modal_projector.linear_2.weight");
        b2 = load.apply("multi_modal_projector.linear_2.bias");
    }

    /** Its weights, for training: the two linears' matrices and biases. */
    public java.util.List<NDArray> parameters() {
        return java.util.List.of(w1, b1, w2, b2);
    }

    /** [tokens, vision width] to [tokens, language model width] (or with a leading batch axis). */
    public NDArray project(NDArray features) {
        return Activation.gelu(features.matMul(w1.transpose()).add(b1)).matMul(w2.transpose()).add(b2);
    }
}
