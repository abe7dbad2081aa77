package dev.evomerge.driver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.evomerge.eval.Summary;
import dev.evomerge.executor.CandidateSpec;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The end-of-run table of an accuracy run: percentages with Wilson intervals, and the claim only when the intervals separate. */
class ReportTest {
    private static final RunConfig RUN = RunConfig.parse("r.yaml", """
            merge: {method: linear, models: [a, b]}
            optimizer: {generations: 1}
            fitness: {tasks: [{name: ja, task: mgsm, lang: ja, data: x.jsonl}]}
            test: {tasks: [{name: ja, task: mgsm, lang: ja, data: y.jsonl}]}
            """);

    private static CandidateResult row(String label, int correct, int correctInJapanese) {
        List<Summary> perTask = List.of(new Summary(500, correct, correctInJapanese, 0, 0));
        return new CandidateResult(0, 0, new CandidateSpec(label, null), null, perTask, CandidateResult.metrics(RUN.test(), perTask),
                Objectives.of(RUN.test(), perTask), 0, 0, "", null);
    }

    @Test
    void accuracyCellsArePercentagesWithWilsonIntervalsAndTheJapaneseCheckHasItsOwnColumn() {
        Report r = new Report(RUN, null, null, 0, List.of(row("parent", 300, 0), row("evolved", 260, 250)), null);
        String table = r.table();
        assertTrue(table.startsWith("| model | ja.accuracy % [95% interval] | ja.accuracy without the Japanese check % | fitness |"),
                table);
        // 250 / 500: Wilson 95% interval [45.6, 54.4] (z = 1.96: centre 0.5, half-width 1.96 sqrt(0.25 / 500) / (1 + 1.96^2 / 500))
        assertTrue(table.contains("| evolved | 50.0 [45.6, 54.4] | 52.0 [47.6, 56.3] | 0.5000 |"), table);
        assertTrue(table.contains("| parent | 0.0 [0.0, 0.8] | 60.0 [55.6, 64.2] | 0.0000 |"), table);
        assertTrue(r.evolvedAheadBeyondIntervals(), "45.6 is above 0.8");
    }

    @Test
    void overlappingIntervalsAreNotAheadBeyondThem() {
        assertFalse(new Report(RUN, null, null, 0, List.of(row("parent", 240, 230), row("evolved", 260, 250)), null)
                .evolvedAheadBeyondIntervals(), "46.0 [41.7, 50.4] overlaps 50.0 [45.6, 54.4]");
    }
}
