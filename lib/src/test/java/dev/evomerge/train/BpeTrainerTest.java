package dev.evomerge.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.evomerge.model.Tokenizer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BpeTrainerTest {

    /**
     * Sennrich et al.'s example, worked by hand: words ▁low x5, ▁lower x2, ▁newest x6, ▁widest
     * x3. "e s" and "s t" tie at 9 and "e s" is first as text; then "es t" (9); then "▁ l",
     * "l o", "o w" tie at 7 and "l o" is first ("l" 0x6C < "o" < "▁" 0x2581); then "▁ lo" and
     * "lo w" tie at 7, and "lo w" is first.
     */
    @Test
    void learnsTheMostFrequentPairsFirstAsWorkedByHand() {
        List<String> corpus = new java.util.ArrayList<>();
        for (int i = 0; i < 5; i++) {
            corpus.add("low");
        }
        for (int i = 0; i < 2; i++) {
            corpus.add("lower");
        }
        for (int i = 0; i < 6; i++) {
            corpus.add("newest");
        }
        for (int i = 0; i < 3; i++) {
            corpus.add("widest");
        }
        BpeTrainer.Bpe bpe = BpeTrainer.train(corpus, 259 + 11 + 4);
        List<String> merges = bpe.merges().stream().map(m -> m[0] + " " + m[1]).toList();
        assertEquals(List.of("e s", "es t", "l o", "lo w"), merges);
        assertEquals(259 + 11 + 4, bpe.vocab().size(), "specials, bytes, 11 characters (▁ l o w e r n s t i d), 4 merges");
        assertEquals(0, bpe.vocab().get("<unk>"));
        assertEquals(2, bpe.vocab().get("</s>"));
        assertEquals(3, bpe.vocab().get("<0x00>"));
    }

    @Test
    void neverMergesDigitsOrAcrossWords() {
        BpeTrainer.Bpe bpe = BpeTrainer.train(List.of("12 12 12 12 ab ab ab", "12 12 ab ab"), 400);
        assertTrue(bpe.merges().stream().noneMatch(m -> (m[0] + m[1]).chars().anyMatch(Character::isDigit)));
        assertTrue(bpe.merges().stream().noneMatch(m -> m[1].startsWith(BpeTrainer.SPACE)), "a merge never starts a second word");
        assertTrue(bpe.vocab().containsKey(BpeTrainer.SPACE + "ab"));
    }

    /** What DJL's Hugging Face tokenizers make of the written tokenizer.json: the learned pieces, and the text back. */
    @Test
    void theWrittenTokenizerEncodesWithTheLearnedPiecesAndDecodesBack(@TempDir Path dir) {
        List<String> corpus = List.of("Tom has 3 apples. Tom gets 5 more.", "たろうはりんごを3個持っています。",
                "Anna has 12 apples.", "はなこはりんごを4個持っています。");
        BpeTrainer.Bpe bpe = BpeTrainer.train(corpus, 330);
        BpeTrainer.write(dir, bpe, 64);
        try (Tokenizer t = Tokenizer.load(dir, (Integer) null)) {
            assertTrue(t.addsBos());
            assertEquals(1, t.bosId());
            String text = "Tom has 12 apples. はなこはりんごを3個持っています。";
            long[] ids = t.encode(text);
            assertEquals(1, ids[0], "BOS first");
            assertEquals(text, t.decode(ids));
            // the digits 1 and 2 are two tokens; "▁apples." was learned whole or in a few pieces
            long one = bpe.vocab().get("1");
            long two = bpe.vocab().get("2");
            int at = indexOf(ids, one);
            assertTrue(at > 0 && ids[at + 1] == two, Arrays.toString(ids));
            assertTrue(ids.length < text.codePointCount(0, text.length()), "fewer tokens than characters");
            // a character the corpus never had falls back to its UTF-8 bytes (E7 8A AC), and still decodes
            long[] unseen = t.encode("犬", false);
            assertArrayEquals(new long[] {bpe.vocab().get(BpeTrainer.SPACE), bpe.vocab().get("<0xE7>"), bpe.vocab().get("<0x8A>"),
                    bpe.vocab().get("<0xAC>")}, unseen, "the prepended ▁, then 犬's three bytes");
            assertEquals("犬", t.decode(unseen));
        }
    }

    @Test
    void refusesAVocabularyTooSmallForTheCharacters() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> BpeTrainer.train(List.of("abc"), 260));
        assertTrue(e.getMessage().contains("vocab_size 260"), e.getMessage());
    }

    @Test
    void learnsFromASampleButKeepsEveryCharacter() {
        List<String> corpus = new java.util.ArrayList<>();
        for (int i = 0; i < 100; i++) {
            corpus.add(i == 51 ? "zebra" : "the cat");
        }
        BpeTrainer.Bpe bpe = BpeTrainer.train(corpus, 300, 10);
        assertTrue(bpe.vocab().containsKey("z"), "a character of an unsampled text is in the vocabulary");
        assertFalse(bpe.merges().stream().anyMatch(m -> (m[0] + m[1]).contains("z")), "but its pairs were not counted");
        assertArrayEquals(new String[] {"a", "t"}, bpe.merges().get(0), "six pairs tie at 10; \"a t\" is first as text");
    }

    private static int indexOf(long[] a, long v) {
        for (int i = 0; i < a.length; i++) {
            if (a[i] == v) {
                return i;
            }
        }
        return -1;
    }
}
