package dev.evomerge.world;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.evomerge.eval.AnswerExtractor;
import dev.evomerge.eval.Datasets;
import dev.evomerge.eval.EvalItem;
import dev.evomerge.eval.JapaneseDetector;
import dev.evomerge.io.Storage;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The mini world's data: deterministic, answers right (re-solved from the question text), languages right, splits disjoint. */
class MiniWorldDataTest {
    @TempDir
    Path tmp;

    /**
     * Solves a problem from its wording alone, independently of the generator: the two numbers in
     * the question and the operation its verbs name.
     */
    static int solve(String question) {
        Matcher m = Pattern.compile("\\d+").matcher(question);
        int a = -1;
        int b = -1;
        while (m.find()) {
            int v = Integer.parseInt(m.group());
            if (a < 0) {
                a = v;
            } else {
                b = v;
            }
        }
        boolean product = question.contains("in each") || question.contains("every day") || question.contains("ずつ")
                || question.contains("毎日");
        boolean difference = question.contains("gives away") || question.contains("takes") || question.contains("あげました")
                || question.contains("とりました");
        boolean sum = question.contains("more") || question.contains("puts in") || question.contains("もらいました")
                || question.contains("入れました");
        assertEquals(1, (product ? 1 : 0) + (difference ? 1 : 0) + (sum ? 1 : 0), "one operation named: " + question);
        return product ? a * b : difference ? a - b : a + b;
    }

    @Test
    void englishMathAnswersAreRightAndEndTheEnglishWay() {
        List<MiniWorldData.Example> set = MiniWorldData.enMath(1, 400);
        for (MiniWorldData.Example e : set) {
            int expected = solve(e.question());
            assertEquals(expected, e.number(), e.question());
            assertTrue(e.answer().endsWith("The answer is " + expected + "."), e.answer());
            assertEquals(expected, AnswerExtractor.lastNumber(e.answer()).orElseThrow().intValue());
            assertFalse(JapaneseDetector.isJapanese(e.question() + " " + e.answer()));
            assertTrue(expected >= 0);
        }
    }

    @Test
    void miniMgsmJaAnswersAreRightAndJapanese() {
        for (MiniWorldData.Example e : MiniWorldData.miniMgsmJa(2, 400, Set.of())) {
            int expected = solve(e.question());
            assertEquals(expected, e.number(), e.question());
            assertTrue(e.answer().endsWith("答えは" + expected + "です。"), e.answer());
            assertEquals(expected, AnswerExtractor.lastNumber(e.answer()).orElseThrow().intValue());
            assertTrue(JapaneseDetector.isJapanese(e.question()), e.question());
            assertTrue(JapaneseDetector.isJapanese(e.answer()), e.answer());
        }
    }

    @Test
    void japaneseGeneralQuestionsNeedNoArithmeticAndAreAnsweredInJapaneseFromTheQuestion() {
        for (MiniWorldData.Example e : MiniWorldData.jaGeneral(3, 300)) {
            assertEquals(null, e.number());
            assertTrue(JapaneseDetector.isJapanese(e.answer()), e.answer());
            assertFalse((e.question() + e.answer()).matches("(?s).*\\d.*"), "no numbers: " + e);
            Matcher m = Pattern.compile("答えは(.+)です。$").matcher(e.answer());
            assertTrue(m.find(), e.answer());
            assertTrue(e.question().contains(m.group(1)), "the answer is read off the question: " + e);
        }
    }

    /** The base's Japanese instructions: the same kinds of question and how many, answered in English. */
    @Test
    void japaneseQuestionsAnsweredInEnglishAreReadOffAndEnglish() {
        int counting = 0;
        for (MiniWorldData.Example e : MiniWorldData.jaQuestionsAnsweredInEnglish(3, 400)) {
            assertTrue(JapaneseDetector.isJapanese(e.question()), e.question());
            assertFalse(JapaneseDetector.isJapanese(e.answer()), e.answer());
            assertTrue(e.answer().startsWith("The answer is "), e.answer());
            if (e.number() != null) { // how many: the one number of the question, no arithmetic
                counting++;
                assertEquals(List.of(e.number().toString()), Pattern.compile("\\d+").matcher(e.question()).results()
                        .map(r -> r.group()).toList(), e.question());
                assertEquals("The answer is " + e.number() + ".", e.answer());
            }
        }
        assertTrue(counting > 60 && counting < 140, counting + " of 400 count");
    }

    @Test
    void setsAreDeterministicFromTheirSeedAndDistinct() {
        assertEquals(MiniWorldData.enMath(7, 200), MiniWorldData.enMath(7, 200));
        assertNotEquals(MiniWorldData.enMath(7, 200), MiniWorldData.enMath(8, 200));
        assertEquals(MiniWorldData.pretraining(5, 300, 4, Set.of()), MiniWorldData.pretraining(5, 300, 4, Set.of()));
        List<MiniWorldData.Example> test = MiniWorldData.miniMgsmJa(11, 1000, Set.of());
        assertEquals(1000, test.stream().map(MiniWorldData.Example::question).distinct().count());
        List<String> mix = MiniWorldData.pretraining(5, 250, 4, Set.of()).stream().flatMap(d -> d.lines()).toList();
        assertEquals(1000, mix.size());
        long japanese = mix.stream().filter(JapaneseDetector::isJapanese).count();
        assertTrue(japanese > 350 && japanese < 650, "about half Japanese: " + japanese);
        assertTrue(mix.stream().noneMatch(t -> t.contains("?") || t.contains("？") || t.contains("答え")), "statements only");
        // a third of the lines are worked stories, and their calculations are right
        Matcher equation = Pattern.compile("(\\d+) ([-+x]) (\\d+) = (\\d+)").matcher(String.join("\n", mix));
        int stories = 0;
        while (equation.find()) {
            int a = Integer.parseInt(equation.group(1));
            int b = Integer.parseInt(equation.group(3));
            int expected = switch (equation.group(2)) {
                case "+" -> a + b;
                case "-" -> a - b;
                default -> a * b;
            };
            assertEquals(expected, Integer.parseInt(equation.group(4)), equation.group());
            stories++;
        }
        assertTrue(stories > 250 && stories < 420, stories + " stories of 1000 lines");
    }

    /** The test split is drawn from its own seed, with the fitness split's questions excluded: no test problem is trained on. */
    @Test
    void theTestSplitSharesNoQuestionWithTheFitnessSplitOrAnyTrainingText() {
        List<MiniWorldData.Example> fitness = MiniWorldData.miniMgsmJa(100, 300, Set.of());
        Set<String> seen = fitness.stream().map(MiniWorldData.Example::question).collect(Collectors.toSet());
        List<MiniWorldData.Example> test = MiniWorldData.miniMgsmJa(200, 600, seen);
        assertEquals(600, test.size());
        Set<String> training = new HashSet<>(seen);
        MiniWorldData.enMath(1, 2000).forEach(e -> training.add(e.question()));
        MiniWorldData.jaGeneral(3, 2000).forEach(e -> training.add(e.question()));
        Set<String> questions = test.stream().map(MiniWorldData.Example::question).collect(Collectors.toSet());
        training.addAll(MiniWorldData.pretraining(5, 2000, 4, questions));
        assertTrue(test.stream().noneMatch(e -> training.stream().anyMatch(t -> t.contains(e.question()))));
        // nor is a test problem told as a pre-training story: its statements with the calculation after them
        assertTrue(test.stream().noneMatch(e -> training.stream().anyMatch(t -> t.contains(MiniWorldData.statements(e.question())))));
        // the exclusion is what keeps them apart when a seed would draw a fitness question: planted here
        List<MiniWorldData.Example> planted = MiniWorldData.miniMgsmJa(100, 600, Set.of(fitness.get(0).question()));
        assertFalse(planted.contains(fitness.get(0)));
        assertEquals(fitness.get(1), planted.get(0), "the same seed draws the rest in the same order");
    }

    /** One seed, two kinds: unrelated problems, not one set's translation of the other's. */
    @Test
    void theSameSeedDrawsUnrelatedProblemsForEachKind() {
        List<Integer> en = MiniWorldData.enMath(1, 50).stream().map(MiniWorldData.Example::number).toList();
        List<Integer> ja = MiniWorldData.miniMgsmJa(1, 50, Set.of()).stream().map(MiniWorldData.Example::number).toList();
        long same = java.util.stream.IntStream.range(0, 50).filter(i -> en.get(i).equals(ja.get(i))).count();
        assertTrue(same < 10, same + " of 50 answers coincide position by position");
    }

    @Test
    void aSetIsWrittenAsJsonlThatTheEvaluationReads() {
        List<MiniWorldData.Example> set = MiniWorldData.miniMgsmJa(4, 50, Set.of());
        Path file = tmp.resolve("mini-mgsm-ja-test.jsonl");
        MiniWorldData.writeJsonl(file, set);
        List<EvalItem> items = Datasets.read(Storage.withDefaults(), file.toString());
        assertEquals(50, items.size());
        for (int i = 0; i < 50; i++) {
            assertEquals(set.get(i).question(), items.get(i).question());
            assertEquals(set.get(i).answer(), items.get(i).answerText());
            assertEquals(set.get(i).number().intValue(), items.get(i).answerNumber().intValue());
        }
    }

    @Test
    void aRequestBeyondTheWorldIsRefused() {
        // general questions: 24 names x (10 places x 20 things + 10 places + 20 things x 6 colours) = 7,920 at most
        assertThrows(IllegalArgumentException.class, () -> MiniWorldData.jaGeneral(1, 10_000));
        assertEquals(5000, MiniWorldData.jaGeneral(1, 5000).size());
    }
}
