package dev.evomerge.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.evomerge.io.Storage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** VQA sets as Parquet (JA-VG-VQA-500's published schema, written by pyarrow) and JSONL, and their errors. */
class VqaSetsTest {
    private static final Path RESOURCES = Path.of("src/test/resources");

    @TempDir
    Path tmp;

    private static List<EvalItem> read(Path p) {
        return Datasets.read(Storage.withDefaults(), p.toString());
    }

    /** scripts/golden/vqa_parquet.py: three images, two questions each; the paper's evaluation takes the first. */
    @Test
    void jaVgVqaParquetReadsAsPublishedFirstQuestionPerImage() throws IOException {
        List<EvalItem> items = read(RESOURCES.resolve("vqa/ja-vg-vqa-sample.parquet"));
        assertEquals(3, items.size());
        assertEquals(List.of("何色の帯がありますか？", "この画像には何が写っていますか？", "白黒ですか？"),
                items.stream().map(EvalItem::question).toList());
        assertEquals(List.of("青い帯です。", "色の模様。", "はい"), items.stream().map(EvalItem::answerText).toList());
        String[] pngs = {"wide-64x20", "rgb-37x29", "gray-20x30"};
        for (int i = 0; i < 3; i++) {
            assertEquals(i, items.get(i).index());
            assertNull(items.get(i).answerNumber());
            assertArrayEquals(Files.readAllBytes(RESOURCES.resolve("vision/" + pngs[i] + ".png")), items.get(i).image(), pngs[i]);
        }
    }

    @Test
    void jsonlTakesImagePathsBesideTheFileOrInlineBase64() throws IOException {
        Files.copy(RESOURCES.resolve("vision/small-9x7.png"), tmp.resolve("cat.png"));
        byte[] wide = Files.readAllBytes(RESOURCES.resolve("vision/wide-64x20.png"));
        Path set = tmp.resolve("set.jsonl");
        Files.writeString(set, "{\"question\": \"猫は何色？\", \"answer\": \"白\", \"image\": \"cat.png\"}\n\n"
                + "{\"question\": \"q2\", \"answer\": \"a2\", \"image_bytes\": \"" + Base64.getEncoder().encodeToString(wide) + "\"}\n");
        List<EvalItem> items = read(set);
        assertEquals(2, items.size());
        assertArrayEquals(Files.readAllBytes(tmp.resolve("cat.png")), items.get(0).image());
        assertArrayEquals(wide, items.get(1).image());
        assertEquals("白", items.get(0).answerText());
    }

    @Test
    void aCorruptOrMissingImageIsOneErrorNamingTheRow() throws IOException {
        Files.writeString(tmp.resolve("broken.png"), "not an image");
        Files.copy(RESOURCES.resolve("vision/small-9x7.png"), tmp.resolve("ok.png"));
        Path set = tmp.resolve("set.jsonl");
        Files.writeString(set, "{\"question\": \"q\", \"answer\": \"a\", \"image\": \"ok.png\"}\n"
                + "{\"question\": \"q\", \"answer\": \"a\", \"image\": \"broken.png\"}\n");
        Exception corrupt = assertThrows(DatasetException.class, () -> read(set));
        assertEquals(set + ":2: cannot decode the image: not a PNG, JPEG, BMP or GIF (12 bytes)", corrupt.getMessage());

        Files.writeString(set, "{\"question\": \"q\", \"answer\": \"a\", \"image\": \"gone.png\"}\n");
        Exception missing = assertThrows(DatasetException.class, () -> read(set));
        assertEquals(set + ":1: image gone.png: cannot read " + tmp + "/gone.png", missing.getMessage());

        Files.writeString(set, "{\"question\": \"q\", \"image\": \"ok.png\"}\n");
        assertEquals(set + ":1: missing string field \"answer\"", assertThrows(DatasetException.class, () -> read(set)).getMessage());

        Path notParquet = tmp.resolve("set.parquet");
        Files.writeString(notParquet, "plain text");
        Exception parquet = assertThrows(DatasetException.class, () -> read(notParquet));
        assertEquals(notParquet + ": not a Parquet file", parquet.getMessage().substring(0, (notParquet + ": not a Parquet file").length()));
    }
}
