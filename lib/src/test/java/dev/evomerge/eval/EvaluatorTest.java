package dev.evomerge.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import dev.evomerge.Fixtures;
import dev.evomerge.io.Checkpoint;
import dev.evomerge.io.Storage;
import dev.evomerge.model.Tokenizer;
import dev.evomerge.model.Transformer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Evaluation on the bundled real models. */
class EvaluatorTest {

    private static List<EvalItem> mgsm(String lang, int n) {
        return Datasets.read(Storage.withDefaults(), Fixtures.data("mgsm/mgsm_" + lang + ".tsv").toString()).subList(0, n);
    }

    private static double meanLoss(String model, List<EvalItem> items) {
        try (Checkpoint c = Checkpoint.open(Fixtures.model(model)); Transformer t = Transformer.load(c, Device.cpu());
             Tokenizer tok = Tokenizer.load(c.dir(), c.config())) {
            return Summary.of(new Evaluator(t, tok, 8).run(new LikelihoodTask(), items)).meanLoss();
        }
    }

    @Test
    void eachFineTuneFitsItsOwnLanguageFarBetter() {
        List<EvalItem> ja = mgsm("ja", 24);
        List<EvalItem> en = mgsm("en", 24);
        double jaOnJa = meanLoss("stories260K-ja", ja);
        double mathOnJa = meanLoss("stories260K-math", ja);
        double jaOnEn = meanLoss("stories260K-ja", en);
        double mathOnEn = meanLoss("stories260K-math", en);
        System.out.printf("mean loss (nats/token): MGSM-ja: ja %.3f, math %.3f; MGSM-en: ja %.3f, math %.3f%n",
                jaOnJa, mathOnJa, jaOnEn, mathOnEn);
        assertTrue(jaOnJa < 0.5 * mathOnJa, "the Japanese fine-tune should be far better on MGSM-ja");
        assertTrue(mathOnEn < 0.8 * jaOnEn, "the math fine-tune should be far better on MGSM-en");
    }

    @Test
    void resultsAndTotalsDoNotDependOnTheShardCount() {
        List<EvalItem> items = mgsm("en", 9);
        try (Checkpoint c = Checkpoint.open(Fixtures.model("stories260K-math")); Transformer t = Transformer.load(c, Device.cpu());
             Tokenizer tok = Tokenizer.load(c.dir(), c.config())) {
            Evaluator evaluator = new Evaluator(t, tok, 4);
            MgsmTask accuracy = MgsmTask.of("en", "mgsm-en", 12);
            for (Task task : List.of(new LikelihoodTask(), accuracy)) {
                List<ItemResult> whole = evaluator.run(task, items);
                for (int shardCount : new int[] {2, 4}) {
                    List<ItemResult> joined = new ArrayList<>();
                    Summary total = new Summary(0, 0, 0, 0, 0);
                    for (List<EvalItem> shard : Shards.of(items, shardCount)) {
                        List<ItemResult> part = evaluator.run(task, shard);
                        joined.addAll(part);
                        total = total.plus(Summary.of(part));
                    }
                    Summary expected = Summary.of(whole);
                    assertEquals(expected.items(), total.items());
                    assertEquals(expected.correct(), total.correct());
                    assertEquals(expected.tokens(), total.tokens());
                    assertEquals(expected.loss(), total.loss(), 1e-3);
                    for (int i = 0; i < items.size(); i++) {
                        assertEquals(whole.get(i).index(), joined.get(i).index());
                        assertEquals(whole.get(i).response(), joined.get(i).response(), task.name() + " item " + i);
                    }
                }
            }
        }
    }
}
