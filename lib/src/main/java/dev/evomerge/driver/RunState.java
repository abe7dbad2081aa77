package dev.evomerge.driver;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.util.ArrayList;
import java.util.List;

/**
 * Everything a resumed run needs after generation {@code generation}: the optimizer's complete
 * state (JSON, bit-exact), the best candidate so far, one line of statistics per generation, and
 * whether the optimizer asked to stop. Written as {@code checkpoint/generation-NNNNN.json}.
 */
public record RunState(String runId, String configSha256, int generation, String cma, Best best,
                       List<GenerationStats> history, String stopReason) {

    /** The best candidate seen so far (ties go to the earlier one). */
    public record Best(int generation, int candidate, double fitness, double[] genome, String recipe) {
    }

    /** One generation: fitness best/mean over the candidates that worked, and where the time went. */
    public record GenerationStats(int generation, double best, double mean, int failed, double seconds, double jobSeconds,
                                  double buildSeconds, double evalSeconds, int slots) {
    }

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    public static RunState fresh(RunConfig run, String cma) {
        return new RunState(run.runId(), run.sha256(), 0, cma, null, List.of(), null);
    }

    public RunState next(int gen, String cmaJson, Best newBest, GenerationStats stats, String stop) {
        List<GenerationStats> h = new ArrayList<>(history);
        h.add(stats);
        return new RunState(runId, configSha256, gen, cmaJson, newBest, List.copyOf(h), stop);
    }

    public String toJson() {
        try {
            return JSON.writeValueAsString(this);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    public static RunState fromJson(String where, String json) {
        try {
            return JSON.readValue(json, RunState.class);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(where + ": not a run checkpoint: " + e.getOriginalMessage());
        }
    }
}
