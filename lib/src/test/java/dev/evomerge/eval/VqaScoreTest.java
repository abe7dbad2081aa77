package dev.evomerge.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class VqaScoreTest {

    /** MeCab's textbook sentence and a plain one, segmented as MeCab with IPADIC segments them. */
    /**
     * The relaxed exact match beside ROUGE-L: the reference whole in the answer, its final
     * punctuation aside. The wrong word in the right frame scores high by ROUGE-L and is not right.
     */
    @Test
    void anAnswerIsRightWhenItHoldsTheWholeReference() {
        assertTrue(VqaTask.namesReference("答えは緑です。", "答えは緑です。"));
        assertTrue(VqaTask.namesReference("答えは緑です。", "緑です。答えは緑です"), "padding around it, no final 。");
        assertFalse(VqaTask.namesReference("答えは緑です。", "答えは青です。"));
        assertFalse(VqaTask.namesReference("答えは緑です。", "The answer is 緑."));
        assertFalse(VqaTask.namesReference("。", "anything"), "an empty reference names nothing");
        VqaScore scorer = new VqaScore();
        assertEquals(0.8, scorer.score("答えは緑です。", "答えは青です。"), 1e-9, "ROUGE-L credits four of five morphemes");
    }

    @Test
    void kuromojiSegmentsAsMecabWithIpadic() {
        JapaneseMorphemes m = new JapaneseMorphemes();
        assertEquals(List.of("すもも", "も", "もも", "も", "もも", "の", "うち"), m.tokenize("すもももももももものうち"));
        assertEquals(List.of("私", "は", "学生", "です", "。"), m.tokenize("私は学生です。"));
        assertEquals(List.of("白い", "猫", "が", "い", "ます"), m.tokenize("白い 猫が　います"));
    }

    @Test
    void normalizesWidthsEmojiAndSpacesAsThePapersScorer() {
        assertEquals("ABC 123", JapaneseMorphemes.normalize("ＡＢＣ　１２３"));
        assertEquals("カタカナ", JapaneseMorphemes.normalize("ｶﾀｶﾅ"));
        assertEquals("猫です", JapaneseMorphemes.normalize("猫😀です"));
        assertEquals("白い猫", JapaneseMorphemes.normalize(" 白い  猫 "));
        assertEquals("Sparkling Lemonレモン", JapaneseMorphemes.normalize("Sparkling  Lemon レモン"));
    }

    /** Worked by hand: LCS of (a b c d) and (a c e) is 2; P = 2/3, R = 2/4, F = 4/7. */
    @Test
    void rougeLIsTheHarmonicMeanOfLcsPrecisionAndRecall() {
        assertEquals(4.0 / 7, RougeL.fMeasure(List.of("a", "b", "c", "d"), List.of("a", "c", "e")), 1e-12);
        assertEquals(1.0, RougeL.fMeasure(List.of("x", "y"), List.of("x", "y")), 1e-12);
        assertEquals(0.0, RougeL.fMeasure(List.of("x"), List.of()), 0);
        assertEquals(0.0, RougeL.fMeasure(List.of("x"), List.of("y")), 0);
    }

    /** The table's LCS against every subsequence of the shorter list, on random lists over a small alphabet. */
    @Test
    void lcsAgreesWithExhaustiveSearch() {
        SplittableRandom rnd = new SplittableRandom(19);
        for (int trial = 0; trial < 300; trial++) {
            List<String> a = randomTokens(rnd, 1 + rnd.nextInt(8));
            List<String> b = randomTokens(rnd, 1 + rnd.nextInt(12));
            int best = 0;
            for (int mask = 0; mask < 1 << a.size(); mask++) {
                List<String> sub = new ArrayList<>();
                for (int i = 0; i < a.size(); i++) {
                    if ((mask >> i & 1) == 1) {
                        sub.add(a.get(i));
                    }
                }
                if (sub.size() > best && isSubsequence(sub, b)) {
                    best = sub.size();
                }
            }
            assertEquals(best, RougeL.lcs(a, b), a + " vs " + b);
        }
    }

    /**
     * A Japanese pair worked by hand: 白い/猫/が/い/ます against 猫/が/白い/です share 猫 が (LCS 2):
     * P = 2/4, R = 2/5, F = 4/9. And the language rule: an English answer to a Japanese reference is 0.
     */
    @Test
    void scoresJapaneseAnswersAndZeroesNonJapaneseOnesToJapaneseReferences() {
        VqaScore s = new VqaScore();
        assertEquals(4.0 / 9, s.score("白い猫がいます", "猫が白いです"), 1e-12);
        assertEquals(2.0 / 3, s.score("猫", "猫です"), 1e-12);
        assertEquals(0.0, s.score("白", "white"), 0);
        assertEquals(0.0, s.score("白い猫がいます", "a white cat 白い猫"), 0); // mostly English: the rule
        assertEquals(1.0, s.score("white", "white"), 1e-12); // an English reference: no rule
        assertEquals(1.0, s.score("2本", "２本"), 1e-12); // widths normalized
    }

    @Test
    void shortAnswersInKanjiAreJapaneseScript() {
        assertTrue(JapaneseDetector.isJapaneseScript("白"));
        assertFalse(JapaneseDetector.isJapanese("白")); // the MGSM rule wants kana
        assertFalse(JapaneseDetector.isJapaneseScript("white"));
        assertFalse(JapaneseDetector.isJapaneseScript("42"));
    }

    /** numpy.percentile's linear rule, worked by hand on 1..4. */
    @Test
    void percentilesInterpolateBetweenOrderStatistics() {
        double[] v = {1, 2, 3, 4};
        assertEquals(2.5, BootstrapInterval.percentile(v, 0.5), 1e-12);
        assertEquals(1.075, BootstrapInterval.percentile(v, 0.025), 1e-12);
        assertEquals(4.0, BootstrapInterval.percentile(v, 1.0), 1e-12);
    }

    /** Of 400 samples of 100 Bernoulli(0.3) scores, about 95% of the intervals contain 0.3. */
    @Test
    void theBootstrapIntervalCoversTheTrueMeanAtItsLevel() {
        SplittableRandom rnd = new SplittableRandom(7);
        int covered = 0;
        int trials = 400;
        for (int t = 0; t < trials; t++) {
            double[] scores = new double[100];
            for (int i = 0; i < scores.length; i++) {
                scores[i] = rnd.nextDouble() < 0.3 ? 1 : 0;
            }
            BootstrapInterval ci = BootstrapInterval.of(scores, 0.95, 500, t);
            assertTrue(ci.low() <= ci.mean() && ci.mean() <= ci.high(), ci.toString());
            if (ci.low() <= 0.3 && 0.3 <= ci.high()) {
                covered++;
            }
        }
        double coverage = (double) covered / trials;
        assertTrue(coverage > 0.90 && coverage < 0.99, "coverage " + coverage);
        double[] same = {0.2, 0.9, 0.4};
        assertEquals(BootstrapInterval.of(same, 0.95, 200, 3), BootstrapInterval.of(same, 0.95, 200, 3));
    }

    @Test
    void theCorpusScoreIsInPercentAndRefusesMismatchedLists() {
        VqaScore s = new VqaScore();
        BootstrapInterval c = s.corpus(List.of("猫", "white"), List.of("猫です", "black"), 1);
        assertEquals(100 * (2.0 / 3 + 0) / 2, c.mean(), 1e-9);
        Exception e = assertThrows(IllegalArgumentException.class, () -> s.corpus(List.of("a"), List.of(), 1));
        assertEquals("1 references but 0 answers", e.getMessage());
    }

    private static List<String> randomTokens(SplittableRandom rnd, int n) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(String.valueOf((char) ('a' + rnd.nextInt(4))));
        }
        return out;
    }

    private static boolean isSubsequence(List<String> sub, List<String> of) {
        int j = 0;
        for (String t : of) {
            if (j < sub.size() && sub.get(j).equals(t)) {
                j++;
            }
        }
        return j == sub.size();
    }
}
