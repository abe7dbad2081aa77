package dev.evomerge.world;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Questions about a {@link Picture} with short answers, in English (what the mini world's VLM is
 * trained on) and in Japanese (the VQA set the evolved merge is scored on): how many shapes or
 * shapes of a colour there are, what colour the shape in a cell is, what shape is in a cell,
 * where the shape of a colour is (asked only when one shape has it).
 */
public final class PictureQuestions {
    /** A question and its reference answer in one language. */
    public record Item(String question, String answer) {
    }

    private PictureQuestions() {
    }

    /** Every question the picture answers unambiguously, in English and in Japanese (same order). */
    public static List<Item[]> all(Picture p) {
        List<Item[]> out = new ArrayList<>();
        int n = p.shapes().size();
        out.add(new Item[] {new Item("How many shapes are there?", "There " + (n == 1 ? "is 1 shape." : "are " + n + " shapes.")),
            new Item("図形はいくつありますか？", n + "つです。")});
        for (Picture.Paint paint : Picture.Paint.values()) {
            long k = p.shapes().stream().filter(s -> s.paint() == paint).count();
            if (k > 0) {
                out.add(new Item[] {new Item("How many " + paint.en + " shapes are there?",
                        "There " + (k == 1 ? "is 1 " + paint.en + " shape." : "are " + k + " " + paint.en + " shapes.")),
                    new Item(paint.ja + "の図形はいくつありますか？", k + "つです。")});
            }
            if (k == 1) {
                Picture.Shape s = p.shapes().stream().filter(x -> x.paint() == paint).findFirst().orElseThrow();
                out.add(new Item[] {new Item("Where is the " + paint.en + " shape?", "It is at the " + s.cell().en + "."),
                    new Item(paint.ja + "の図形はどこにありますか？", s.cell().ja + "にあります。")});
            }
        }
        for (Picture.Shape s : p.shapes()) {
            out.add(new Item[] {new Item("What colour is the shape at the " + s.cell().en + "?", "It is " + s.paint().en + "."),
                new Item(s.cell().ja + "の図形は何色ですか？", s.paint().ja + "です。")});
            out.add(new Item[] {new Item("What shape is at the " + s.cell().en + "?", "It is a " + s.kind().en + "."),
                new Item(s.cell().ja + "にある図形は何ですか？", s.kind().ja + "です。")});
        }
        return out;
    }

    /** One of the picture's questions, drawn from {@code random}: [English, Japanese]. */
    public static Item[] one(Picture p, SplittableRandom random) {
        List<Item[]> all = all(p);
        return all.get(random.nextInt(all.size()));
    }
}
