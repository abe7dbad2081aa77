package dev.evomerge.optim;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;

/**
 * The complete state of a {@link CmaEs} as plain data, for JSON. Random numbers are derived
 * from (seed, restart, generation), so no generator state needs saving: an optimizer restored
 * from this continues bit for bit.
 */
public record CmaState(
        CmaOptions options,
        int restart,
        int lambda,
        int generation,
        double[] mean,
        double sigma,
        double[] covariance, // n*n row-major (full) or n (separable)
        FullCovariance.Factors factors, // the full covariance's (possibly older) eigendecomposition, or null
        double[] pSigma,
        double[] pC,
        double[] funHistory, // best and worst fitness of recent generations, for the tolfun criterion
        double[] marginScale, // CMA-ES with margin's A, or null
        double[] bestCandidate,
        double bestFitness) {

    /** Doubles are written with Java's shortest round-trip form; NaN (no best yet) as "NaN". */
    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS).build();

    public String toJson() {
        try {
            return JSON.writeValueAsString(this);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    public static CmaState fromJson(String json) {
        try {
            return JSON.readValue(json, CmaState.class);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("not a CMA-ES state: " + e.getOriginalMessage(), e);
        }
    }
}
