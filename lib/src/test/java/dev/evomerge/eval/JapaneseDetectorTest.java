package dev.evomerge.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.evomerge.Fixtures;
import java.io.IOException;
import java.nio.file.Files;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The Japanese check on real text: MGSM's problems and worked answers in Japanese and English. */
class JapaneseDetectorTest {

    private static List<String> questions(String lang) throws IOException {
        return Files.readAllLines(Fixtures.data("mgsm/mgsm_" + lang + ".tsv")).stream()
                .filter(l -> !l.isBlank()).map(l -> l.split("\t")[0]).toList();
    }

    private static List<String> exemplarAnswers(String lang) throws IOException {
        ObjectMapper json = new ObjectMapper();
        return Files.readAllLines(Fixtures.data("mgsm/mgsm_exemplars_" + lang + ".jsonl")).stream()
                .filter(l -> !l.isBlank()).map(l -> {
                    try {
                        return json.readTree(l).get("a").asText();
                    } catch (IOException e) {
                        throw new RuntimeException(e);
                    }
                }).toList();
    }

    @Test
    void everyJapaneseProblemAndAnswerIsJapaneseAndNoEnglishOneIs() throws IOException {
        List<String> ja = questions("ja");
        List<String> en = questions("en");
        assertEquals(250, ja.size());
        assertEquals(250, en.size());
        long jaHits = ja.stream().filter(JapaneseDetector::isJapanese).count();
        long enHits = en.stream().filter(JapaneseDetector::isJapanese).count();
        System.out.printf("Japanese check on MGSM: ja questions %d/250 Japanese, en questions %d/250 Japanese%n", jaHits, enHits);
        assertEquals(250, jaHits);
        assertEquals(0, enHits);
        assertTrue(exemplarAnswers("ja").stream().allMatch(JapaneseDetector::isJapanese));
        assertTrue(exemplarAnswers("en").stream().noneMatch(JapaneseDetector::isJapanese));
    }

    @Test
    void handPickedCases() {
        assertTrue(JapaneseDetector.isJapanese("答えは18です。"));
        assertTrue(JapaneseDetector.isJapanese("合計で1,000円になります"));
        assertFalse(JapaneseDetector.isJapanese("我们今天去学校。答案是18。"), "Chinese: ideographs but no kana");
        assertFalse(JapaneseDetector.isJapanese("The answer is 18 (答え)."), "mostly Latin letters");
        assertFalse(JapaneseDetector.isJapanese("18 + 5 = 23"), "no letters at all");
        assertFalse(JapaneseDetector.isJapanese(""));
    }
}
