package dev.evomerge.driver;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.evomerge.optim.OptimizerState;
import java.util.ArrayList;
import java.util.List;

/**
 * Everything a resumed run needs after generation {@code generation}: the optimizer's complete
 * state (whichever optimizer it is; exact as JSON), the best candidate so far (kept here and only
 * here; in a multi-objective run, the front member the run's rule chooses), one line of
 * statistics per generation, and whether the optimizer asked to stop; for a multi-objective run
 * also the Pareto front of everything evaluated and the hypervolume's frame (null otherwise).
 * Written as {@code checkpoint/generation-NNNNN.json}.
 */
public record RunState(String runId, String configSha256, int generation, OptimizerState optimizer, Best best,
                       List<GenerationStats> history, String stopReason, List<ParetoFront.Member> front,
                       ParetoFront.Frame frame) {

    /** The best candidate so far (ties go to the earlier one): its genes, fitness and recipe (YAML, as users read it). */
    public record Best(int generation, int candidate, double fitness, double[] genome, String recipe) {
        /** The better of {@code current} (may be null) and {@code r}; {@code current} on a tie. */
        static Best of(ParetoFront.Member m) {
            return new Best(m.generation(), m.candidate(), m.fitness(), m.genome(), m.recipe());
        }

        static Best better(Best current, int generation, CandidateResult r) {
            if (r.failed() || current != null && !(r.fitness() > current.fitness())) {
                return current;
            }
            return new Best(generation, r.candidate(), r.fitness(), r.genome(), r.spec().recipe().toYaml());
        }
    }

    /**
     * One generation: fitness best/mean over the candidates that worked, where the time went, and
     * for a multi-objective run the front's size and hypervolume after it (0 and NaN otherwise).
     */
    public record GenerationStats(int generation, double best, double mean, int failed, double seconds, double jobSeconds,
                                  double buildSeconds, double evalSeconds, int slots, int frontSize, double hypervolume) {
    }

    private static final ObjectMapper JSON = JsonMapper.builder().enable(SerializationFeature.INDENT_OUTPUT)
            .enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS).build();

    public static RunState fresh(RunConfig run, OptimizerState optimizer) {
        return new RunState(run.runId(), run.sha256(), 0, optimizer, null, List.of(), null,
                run.isMultiObjective() ? List.of() : null, null);
    }

    public RunState next(int gen, OptimizerState optimizerNow, Best newBest, GenerationStats stats, String stop,
                         List<ParetoFront.Member> newFront, ParetoFront.Frame newFrame) {
        List<GenerationStats> h = new ArrayList<>(history);
        h.add(stats);
        return new RunState(runId, configSha256, gen, optimizerNow, newBest, List.copyOf(h), stop, newFront, newFrame);
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
