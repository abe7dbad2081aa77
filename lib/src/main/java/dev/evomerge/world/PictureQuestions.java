package dev.evomerge.world;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Questions about a {@link Picture} with short answers ("The answer is red." / 答えは赤です。), in English (what the mini world's VLM is
 * trained on) and in Japanese (the VQA set the evolved merge is scored on): how many shapes, or
 * shapes of a colour, there are; and, as a choice between two, the colour of the shape in a cell,
 * the kind of the shape in a cell, and the cell of the only shape of a colour. A choice names its
 * answer in the question (the other option drawn at random, the order too): the words of every
 * answer are then in the prompt or are digits, so a language model answers in Japanese what it
 * sees in English, as the mini world's Japanese model answers by reading off the question.
 */
public final class PictureQuestions {
    /** A question and its reference answer in one language. */
    public record Item(String question, String answer) {
    }

    /**
     * How answers begin: as the mini world's models answer a question (its base in English, JA
     * general in Japanese: 答えは…です。), so the VLM trained from that base and the Japanese
     * model answer alike, and the references are what a model of that world says.
     */
    private static final String EN = "The answer is ";

    /** The forms of a question {@link #asked} gives, by their place in its array. */
    public static final int ENGLISH = 0;
    public static final int JAPANESE = 1;
    public static final int JAPANESE_IN_ENGLISH_FRAME = 2;
    public static final int JAPANESE_IN_ENGLISH = 3;
    public static final int JAPANESE_WORD = 4;

    private PictureQuestions() {
    }

    /**
     * A question in both languages: [English, Japanese, the Japanese question answered in the
     * English frame, the Japanese question answered in English, the Japanese question answered by
     * the word alone ({@code 赤}, {@code 3つ}: a short reference, as JA-VG-VQA's)]. The third and fourth are how an
     * English-centric model answers a Japanese question: in the English frame naming what it picks
     * in the question's own words (the option as the question wrote it, or the digits of a count:
     * {@code The answer is 赤.}), or all in English, as the mini world's base answers the Japanese
     * instruction ({@code The answer is red.}).
     */
    private static Item[] asked(String en, String enAnswer, String ja, String jaWhat, String picked) {
        return new Item[] {new Item(en, enAnswer), new Item(ja, ja(jaWhat)), new Item(ja, EN + picked + "."), new Item(ja, enAnswer),
                new Item(ja, jaWhat)};
    }

    /** The Japanese answer naming {@code what}. */
    public static String ja(String what) {
        return "答えは" + what + "です。";
    }

    /**
     * Every question the picture answers unambiguously: in English, in Japanese, and in Japanese
     * answered in the English frame ({@link #asked}); options drawn from {@code random}.
     */
    public static List<Item[]> all(Picture p, SplittableRandom random) {
        List<Item[]> out = new ArrayList<>();
        int n = p.shapes().size();
        out.add(asked("How many shapes are there?", EN + n + ".", "図形はいくつありますか？", n + "つ", String.valueOf(n)));
        for (Picture.Paint paint : Picture.Paint.values()) {
            long k = p.shapes().stream().filter(s -> s.paint() == paint).count();
            if (k > 0) {
                out.add(asked("How many " + paint.en + " shapes are there?", EN + k + ".", paint.ja + "の図形はいくつありますか？",
                        k + "つ", String.valueOf(k)));
            }
            if (k == 1) {
                Picture.Shape s = p.shapes().stream().filter(x -> x.paint() == paint).findFirst().orElseThrow();
                Picture.Cell[] c = options(Picture.Cell.values(), s.cell(), random);
                out.add(asked("Is the " + paint.en + " shape at the " + c[0].en + " or at the " + c[1].en + "?",
                        EN + "at the " + s.cell().en + ".", paint.ja + "の図形は" + c[0].ja + "ですか、" + c[1].ja + "ですか？",
                        s.cell().ja, s.cell().ja));
            }
        }
        for (Picture.Shape s : p.shapes()) {
            Picture.Paint[] c = options(Picture.Paint.values(), s.paint(), random);
            out.add(asked("Is the shape at the " + s.cell().en + " " + c[0].en + " or " + c[1].en + "?", EN + s.paint().en + ".",
                    s.cell().ja + "の図形は" + c[0].ja + "ですか、" + c[1].ja + "ですか？", s.paint().ja, s.paint().ja));
            Picture.Kind[] k = options(Picture.Kind.values(), s.kind(), random);
            out.add(asked("Is the shape at the " + s.cell().en + " a " + k[0].en + " or a " + k[1].en + "?", EN + "a " + s.kind().en + ".",
                    s.cell().ja + "の図形は" + k[0].ja + "ですか、" + k[1].ja + "ですか？", s.kind().ja, s.kind().ja));
        }
        return out;
    }

    /**
     * The picture described, every shape in cell order ("A red circle at the top left, and a blue
     * square at the bottom right."): LLaVA's first stage aligns its projector on captions, and a
     * caption tells the tower every shape's colour, kind and place at once.
     */
    public static Item caption(Picture p) {
        StringBuilder b = new StringBuilder();
        List<Picture.Shape> shapes = p.shapes();
        for (int i = 0; i < shapes.size(); i++) {
            Picture.Shape s = shapes.get(i);
            b.append(i == 0 ? "A " : i == shapes.size() - 1 ? ", and a " : ", a ").append(s.paint().en).append(' ').append(s.kind().en)
                    .append(" at the ").append(s.cell().en);
        }
        return new Item("Describe the picture.", b.append('.').toString());
    }

    /** One of the picture's questions, drawn from {@code random}, in the four forms of {@link #asked}. */
    public static Item[] one(Picture p, SplittableRandom random) {
        List<Item[]> all = all(p, random);
        return all.get(random.nextInt(all.size()));
    }

    /** The answer and another value, in a random order. */
    private static <T> T[] options(T[] values, T answer, SplittableRandom random) {
        T other = values[random.nextInt(values.length - 1)];
        if (other == answer) {
            other = values[values.length - 1];
        }
        T[] pair = java.util.Arrays.copyOf(values, 2);
        boolean first = random.nextBoolean();
        pair[0] = first ? answer : other;
        pair[1] = first ? other : answer;
        return pair;
    }
}
