package dev.evomerge.executor;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.Device;
import ai.djl.ndarray.types.DataType;
import dev.evomerge.Fixtures;
import dev.evomerge.io.Checkpoint;
import dev.evomerge.merge.MergeConfig;
import dev.evomerge.merge.MergePlan;
import dev.evomerge.merge.Merger;
import dev.evomerge.model.Likelihood;
import dev.evomerge.model.Tokenizer;
import dev.evomerge.model.Transformer;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A candidate built as a GPU executor builds it, in float16 from the parents' mapped tensors, scores as in float32. */
class CandidateFloat16Test {
    @Test
    void aMergedCandidateScoresInFloat16AsInFloat32() {
        String recipe = """
                merge_method: task_arithmetic
                base_model: %s
                models:
                  - {model: %s, parameters: {weight: 0.6}}
                  - {model: %s, parameters: {weight: 0.5}}
                """.formatted(Fixtures.model("stories260K"), Fixtures.model("stories260K-math"), Fixtures.model("stories260K-ja"));
        Map<String, Checkpoint> open = new HashMap<>();
        try {
            MergePlan plan = Merger.plan(MergeConfig.parse("candidate", recipe), l -> open.computeIfAbsent(l, x -> Checkpoint.open(Path.of(x))));
            Tokenizer tok = Tokenizer.load(plan.reference().dir(), plan.reference().config());
            List<Likelihood.Item> items = List.of(Likelihood.Item.wholeText(tok, "Question: 3 + 4? Answer: 7."),
                    Likelihood.Item.wholeText(tok, "Once upon a time, there was a little girl named Lily."));
            double[] loss = new double[2];
            int k = 0;
            for (DataType dtype : List.of(DataType.FLOAT32, DataType.FLOAT16)) {
                try (Transformer t = Transformer.load(new CandidateWeights(plan, "candidate"), Device.cpu(), dtype)) {
                    loss[k++] = new Likelihood(t, 2).score(items).stream().mapToDouble(Likelihood.Score::meanLoss).average().orElseThrow();
                }
            }
            assertEquals(loss[0], loss[1], 0.01, "mean loss in nats per token, float16 against float32");
        } finally {
            open.values().forEach(Checkpoint::close);
        }
    }

}
