package dev.evomerge.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class OtherPicturesTest {
    private static List<EvalItem> items(int n) {
        List<EvalItem> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(new EvalItem(i, "q" + i, "a" + i, null, new byte[] {(byte) i}));
        }
        return out;
    }

    /** Five items: item i asked about picture (i + 2) mod 5; questions and references stay; every picture used once, none by its own item. */
    @Test
    void eachQuestionIsAskedAboutAnotherItemsPicture() {
        List<EvalItem> rotated = OtherPictures.of(items(5));
        int[] expected = {2, 3, 4, 0, 1};
        for (int i = 0; i < 5; i++) {
            EvalItem r = rotated.get(i);
            assertEquals(i, r.index());
            assertEquals("q" + i, r.question());
            assertEquals("a" + i, r.answerText());
            assertArrayEquals(new byte[] {(byte) expected[i]}, r.image());
        }
    }

    @Test
    void refusesASetWithoutPicturesOrTooSmall() {
        assertThrows(IllegalArgumentException.class, () -> OtherPictures.of(items(1)));
        List<EvalItem> text = List.of(new EvalItem(0, "q", "a", null), new EvalItem(1, "q", "a", null));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> OtherPictures.of(text));
        assertTrue(e.getMessage().contains("item 0 has none"), e.getMessage());
    }

    /** Held with own pictures 3 of 4, with others 1 of 4, the same item both times: a drop of 50 points, its interval within [0, 100]. */
    @Test
    void theDropIsThePairedDifferenceInHeldAnswers() {
        boolean[] own = {true, true, false, true};
        boolean[] other = {false, true, false, false};
        List<ItemResult> a = new ArrayList<>();
        List<ItemResult> b = new ArrayList<>();
        for (int i = 0; i < own.length; i++) {
            EvalItem item = new EvalItem(i, "q", "a", null, new byte[] {1});
            a.add(ItemResult.vqa(item, "x", 0, true, own[i]));
            b.add(ItemResult.vqa(item, "x", 0, true, other[i]));
        }
        BootstrapInterval d = OtherPictures.drop(a, b);
        assertEquals(50.0, d.mean(), 1e-9);
        assertTrue(d.low() >= 0 && d.high() <= 100 && d.low() <= 50 && d.high() >= 50, d.toString());
        assertThrows(IllegalArgumentException.class, () -> OtherPictures.drop(a, b.subList(0, 3)));
        assertThrows(IllegalArgumentException.class, () -> OtherPictures.drop(a, List.of(b.get(1), b.get(0), b.get(2), b.get(3))));
    }
}
