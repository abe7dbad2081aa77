package dev.evomerge.optim;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;

/**
 * An optimizer's complete state as plain data, which JSON carries exactly (doubles in Java's
 * shortest round-trip form, NaN as "NaN") and which names its kind ({@code "optimizer": "cma-es"}),
 * so a saved run restores whatever optimizer it ran. Random numbers are functions of (seed,
 * generation), so no generator state needs saving.
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "optimizer")
@JsonSubTypes({
    @JsonSubTypes.Type(value = CmaState.class, name = "cma-es"),
    @JsonSubTypes.Type(value = IpopCmaEs.State.class, name = "ipop-cma-es"),
    @JsonSubTypes.Type(value = Nsga2State.class, name = "nsga2")
})
public sealed interface OptimizerState permits CmaState, IpopCmaEs.State, Nsga2State {

    /** The optimizer this state is of, continuing exactly where it was. */
    Optimizer restore();

    ObjectMapper JSON = JsonMapper.builder().enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS).build();

    default String toJson() {
        try {
            return JSON.writeValueAsString(this);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    static OptimizerState fromJson(String json) {
        try {
            return JSON.readValue(json, OptimizerState.class);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("not an optimizer state: " + e.getOriginalMessage(), e);
        }
    }
}
