package dev.evomerge.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.evomerge.Fixtures;
import dev.evomerge.io.Storage;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DatasetsTest {
    @TempDir
    Path tmp;

    private static List<EvalItem> read(Path p) {
        return Datasets.read(Storage.withDefaults(), p.toString());
    }

    @Test
    void mgsmTsvAndGsm8kJsonlRead() {
        List<EvalItem> ja = read(Fixtures.data("mgsm/mgsm_ja.tsv"));
        assertEquals(250, ja.size());
        assertEquals(new BigDecimal("18"), ja.get(0).answerNumber());
        assertTrue(ja.stream().anyMatch(i -> i.answerNumber().compareTo(new BigDecimal("2125")) == 0), "'2,125' reads as 2125");
        List<EvalItem> gsm = read(Fixtures.data("gsm8k/test.jsonl"));
        assertEquals(1319, gsm.size());
        assertEquals(new BigDecimal("18"), gsm.get(0).answerNumber());
        assertTrue(gsm.get(0).answerText().endsWith("The answer is 18."), gsm.get(0).answerText());
        // MGSM = GSM8K test[0:250]: the same answers in the same order.
        List<EvalItem> en = read(Fixtures.data("mgsm/mgsm_en.tsv"));
        for (int i = 0; i < 250; i++) {
            assertEquals(0, en.get(i).answerNumber().compareTo(gsm.get(i).answerNumber()), "item " + i);
        }
    }

    @Test
    void questionAnswerJsonlReads() throws IOException {
        Path f = Files.writeString(tmp.resolve("qa.jsonl"),
                "{\"question\": \"1たす1は？\", \"answer\": \"2\"}\n{\"question\": \"q\", \"answer\": \"たぶん3\", \"answer_number\": 3}\n");
        List<EvalItem> items = read(f);
        assertEquals(new BigDecimal("2"), items.get(0).answerNumber());
        assertEquals(new BigDecimal("3"), items.get(1).answerNumber());
        assertEquals("たぶん3", items.get(1).answerText());
    }

    @Test
    void malformedRowsNameFileAndLine() throws IOException {
        Path tsv = Files.writeString(tmp.resolve("bad.tsv"), "q1\t1\nq2\t2\textra\n");
        assertEquals(tsv + ":2: expected 2 tab-separated columns (question, answer_number), found 3",
                assertThrows(DatasetException.class, () -> read(tsv)).getMessage());
        Path notNumber = Files.writeString(tmp.resolve("nan.tsv"), "q1\tabc\n");
        assertEquals(notNumber + ":1: answer 'abc' is not a number",
                assertThrows(DatasetException.class, () -> read(notNumber)).getMessage());
        Path json = Files.writeString(tmp.resolve("bad.jsonl"), "{\"question\": \"a\", \"answer\": 1}\n{oops\n");
        assertEquals(json + ":2: not valid JSON", assertThrows(DatasetException.class, () -> read(json)).getMessage());
        Path missing = Files.writeString(tmp.resolve("missing.jsonl"), "{\"answer\": 1}\n");
        assertEquals(missing + ":1: missing string field \"question\"",
                assertThrows(DatasetException.class, () -> read(missing)).getMessage());
    }

    @Test
    void splitsAreDisjointAndCoverTheSet() {
        List<EvalItem> items = read(Fixtures.data("gsm8k/test.jsonl"));
        List<EvalItem> fitness = Split.parse("hash:0:0.7").select(items);
        List<EvalItem> test = Split.parse("hash:0.7:1").select(items);
        Set<Integer> seen = new HashSet<>();
        fitness.forEach(i -> seen.add(i.index()));
        for (EvalItem i : test) {
            assertTrue(seen.add(i.index()), "item " + i.index() + " is in both splits");
        }
        assertEquals(items.size(), seen.size(), "the two splits cover the set");
        double share = fitness.size() / (double) items.size();
        assertTrue(share > 0.65 && share < 0.75, "hash split share " + share);
        assertEquals(250, Split.parse("range:0:250").select(items).size());
        assertTrue(Split.parse("range:0:250").select(items).stream().noneMatch(i -> Split.parse("range:250:1319").contains(i)));
        assertThrows(IllegalArgumentException.class, () -> Split.parse("hash:0.5:0.2"));
        assertThrows(IllegalArgumentException.class, () -> Split.parse("first:10"));
    }

    @Test
    void fewShotPromptsStartWithTheExemplars() {
        List<String[]> ex = Datasets.exemplars(Storage.withDefaults(), Fixtures.data("mgsm/mgsm_exemplars_ja.jsonl").toString());
        assertEquals(8, ex.size());
        MgsmTask task = MgsmTask.of("ja", "mgsm-ja", 64).withShots(ex, 2);
        EvalItem item = new EvalItem(0, "りんごは何個？", "3", new BigDecimal(3));
        String prompt = task.prompt(item);
        assertTrue(prompt.startsWith(ex.get(0)[0] + "\n" + ex.get(0)[1] + "\n\n" + ex.get(1)[0]), prompt);
        assertTrue(prompt.endsWith("\n\n問題：りんごは何個？\nステップごとの答え："), prompt);
        assertThrows(IllegalArgumentException.class, () -> MgsmTask.of("ja", null, 64).withShots(ex, 9));
    }

    @Test
    void shardsPartitionInOrder() {
        List<Integer> xs = java.util.stream.IntStream.range(0, 10).boxed().toList();
        List<List<Integer>> shards = Shards.of(xs, 3);
        assertEquals(List.of(List.of(0, 1, 2), List.of(3, 4, 5), List.of(6, 7, 8, 9)), shards);
        assertEquals(4, Shards.of(List.of(1, 2), 4).size());
    }

    @Test
    void wilsonIntervalsMatchAnIndependentComputation() {
        // Computed separately (Python) from the Wilson score formula with z = 1.959964.
        double[] ci = Summary.wilson(130, 250);
        assertEquals(0.45824, ci[0], 1e-5);
        assertEquals(0.58116, ci[1], 1e-5);
        double[] none = Summary.wilson(0, 8);
        assertEquals(0.0, none[0], 1e-12);
        assertEquals(0.32441, none[1], 1e-5);
        assertTrue(Summary.formatRate(0, 8).contains("small set"));
        assertTrue(!Summary.formatRate(130, 250).contains("small set"));
    }
}
