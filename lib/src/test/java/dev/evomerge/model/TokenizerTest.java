package dev.evomerge.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.evomerge.Fixtures;
import java.io.IOException;
import java.nio.file.Files;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The real Mistral-7B tokenizer (the tokenizer of every source model in the paper). */
class TokenizerTest {

    @Test
    void mistralTokenizerMatchesKnownIdsAndRoundTripsJapaneseAndEnglish() throws IOException {
        try (Tokenizer tok = Tokenizer.load(Fixtures.data("tokenizers/mistral-7b-v0.1"), (Integer) null)) {
            assertTrue(tok.addsBos());
            assertEquals(1, tok.bosId());
            // Known ids, checked by hand against the vocabulary: "▁[" = 733, "INST" = 16289, "]" = 28793.
            assertArrayEquals(new long[] {733, 16289, 28793}, tok.encode("[INST]", false));
            assertArrayEquals(new long[] {1, 733, 16289, 28793}, tok.encode("[INST]"));
            List<String> lines = Files.readAllLines(Fixtures.data("mgsm/mgsm_ja.tsv"));
            lines.addAll(Files.readAllLines(Fixtures.data("mgsm/mgsm_en.tsv")));
            for (String line : lines.subList(0, 20)) {
                String text = line.split("\t")[0];
                assertEquals(text, tok.decode(tok.encode(text)), "round trip of: " + text);
            }
            String ja = lines.get(0).split("\t")[0];
            assertTrue(tok.encode(ja).length > 10, "a Japanese question is many tokens");
        }
    }

    @Test
    void storiesTokenizerAddsBosPerItsConfig() throws IOException {
        try (Tokenizer tok = Tokenizer.load(Fixtures.model("stories260K"), (Integer) null)) {
            long[] ids = tok.encode("Once upon a time");
            assertEquals(1, ids[0]);
            assertEquals("Once upon a time", tok.decode(ids));
        }
    }
}
