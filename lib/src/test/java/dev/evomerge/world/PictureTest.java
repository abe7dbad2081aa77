package dev.evomerge.world;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.evomerge.eval.JapaneseDetector;
import dev.evomerge.vision.ImagePreprocessor;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The synthetic pictures against what an independent reading of their pixels finds: the PNG
 * decoded, its non-white pixels grouped into 4-connected regions by a flood fill, each region's
 * colour and centre compared with the shape it should be; and the questions' answers against the
 * regions counted.
 */
class PictureTest {
    private static final int SIZE = 64;

    @Test
    void theSameSeedDrawsTheSameBytes() {
        byte[] a = Picture.random(SIZE, new SplittableRandom(5)).png();
        assertArrayEquals(a, Picture.random(SIZE, new SplittableRandom(5)).png());
        assertFalse(java.util.Arrays.equals(a, Picture.random(SIZE, new SplittableRandom(6)).png()));
    }

    @Test
    void thePixelsShowTheShapesTheQuestionsAreAbout() {
        SplittableRandom random = new SplittableRandom(21);
        for (int trial = 0; trial < 200; trial++) {
            Picture p = Picture.random(SIZE, random);
            int[][][] rgb = ImagePreprocessor.decode(p.png());
            List<int[]> regions = regions(rgb); // {r, g, b, centre x, centre y, pixels}
            assertEquals(p.shapes().size(), regions.size(), "one region per shape, trial " + trial);
            for (int[] region : regions) {
                Picture.Shape s = p.shapes().stream().filter(x -> x.cell().ordinal() == (region[4] >= SIZE / 2 ? 2 : 0)
                        + (region[3] >= SIZE / 2 ? 1 : 0)).findFirst().orElseThrow(() -> new AssertionError("a region in an empty cell"));
                assertEquals(s.paint().rgb.getRed(), region[0]);
                assertEquals(s.paint().rgb.getGreen(), region[1]);
                assertEquals(s.paint().rgb.getBlue(), region[2]);
            }
            for (PictureQuestions.Item[] qa : PictureQuestions.all(p, random)) {
                assertTrue(JapaneseDetector.isJapaneseScript(qa[1].answer()), qa[1].answer());
                assertTrue(JapaneseDetector.isJapaneseScript(qa[1].question()), qa[1].question());
                // the Japanese question answered in the English frame names the same pick, in the question's words
                assertEquals(qa[1].question(), qa[2].question());
                String picked = qa[2].answer().substring("The answer is ".length(), qa[2].answer().length() - 1);
                assertTrue(qa[1].answer().equals(PictureQuestions.ja(picked)) || qa[1].answer().equals(PictureQuestions.ja(picked + "つ")),
                        qa[1].answer() + " / " + qa[2].answer());
                assertFalse(JapaneseDetector.isJapaneseScript(qa[2].answer()), "an English answer: " + qa[2].answer());
                assertEquals(qa[1].question(), qa[3].question());
                assertEquals(qa[0].answer(), qa[3].answer(), "the Japanese question answered as the English one is");
                if (qa[0].question().startsWith("Is the shape at the ") && !qa[0].answer().startsWith("The answer is a ")) {
                    // the colour named is the colour of the pixels in that cell
                    Picture.Cell cell = java.util.Arrays.stream(Picture.Cell.values())
                            .filter(c -> qa[0].question().startsWith("Is the shape at the " + c.en + " ")).findFirst().orElseThrow();
                    int[] region = regions.stream().filter(r -> cell.ordinal() == (r[4] >= SIZE / 2 ? 2 : 0) + (r[3] >= SIZE / 2 ? 1 : 0))
                            .findFirst().orElseThrow();
                    Picture.Paint paint = java.util.Arrays.stream(Picture.Paint.values()).filter(x -> x.rgb.getRed() == region[0]
                            && x.rgb.getGreen() == region[1] && x.rgb.getBlue() == region[2]).findFirst().orElseThrow();
                    assertEquals("The answer is " + paint.en + ".", qa[0].answer());
                }
                if (qa[0].question().equals("How many shapes are there?")) {
                    assertEquals(PictureQuestions.ja(regions.size() + "つ"), qa[1].answer());
                    assertEquals("The answer is " + regions.size() + ".", qa[0].answer());
                }
                if (qa[0].question().startsWith("Is the ") && qa[0].question().contains(" shape at the ")
                        && qa[0].question().contains(" or at the ")) {
                    String colour = qa[0].question().substring("Is the ".length(), qa[0].question().indexOf(" shape"));
                    assertEquals(1, p.shapes().stream().filter(s -> s.paint().en.equals(colour)).count(), "asked only when one shape has it");
                }
                // a choice names its answer and one other option: the reference's word is in the question
                if (qa[0].question().startsWith("Is the ")) {
                    String word = qa[1].answer().substring("答えは".length(), qa[1].answer().length() - "です。".length());
                    assertTrue(qa[1].question().contains(word + "ですか"), qa[1].question() + " / " + qa[1].answer());
                    assertEquals(2, qa[1].question().split("ですか").length - 1, qa[1].question());
                }
            }
        }
    }

    /** 4-connected regions of non-white pixels, each one colour (no antialiasing: every pixel is a palette colour or white). */
    private static List<int[]> regions(int[][][] rgb) {
        int h = rgb.length;
        int w = rgb[0].length;
        boolean[][] seen = new boolean[h][w];
        List<int[]> out = new ArrayList<>();
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                if (seen[y][x] || white(rgb[y][x])) {
                    continue;
                }
                int[] colour = rgb[y][x];
                long sx = 0;
                long sy = 0;
                int n = 0;
                java.util.ArrayDeque<int[]> queue = new java.util.ArrayDeque<>(List.of(new int[] {x, y}));
                seen[y][x] = true;
                while (!queue.isEmpty()) {
                    int[] q = queue.poll();
                    assertArrayEquals(colour, rgb[q[1]][q[0]], "one colour per region");
                    sx += q[0];
                    sy += q[1];
                    n++;
                    for (int[] d : new int[][] {{1, 0}, {-1, 0}, {0, 1}, {0, -1}}) {
                        int nx = q[0] + d[0];
                        int ny = q[1] + d[1];
                        if (nx >= 0 && ny >= 0 && nx < w && ny < h && !seen[ny][nx] && !white(rgb[ny][nx])) {
                            seen[ny][nx] = true;
                            queue.add(new int[] {nx, ny});
                        }
                    }
                }
                out.add(new int[] {colour[0], colour[1], colour[2], (int) (sx / n), (int) (sy / n), n});
            }
        }
        return out;
    }

    private static boolean white(int[] p) {
        return p[0] == 255 && p[1] == 255 && p[2] == 255;
    }
}
