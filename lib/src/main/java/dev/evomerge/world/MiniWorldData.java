package dev.evomerge.world;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.evomerge.io.AtomicFiles;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.function.Function;

/**
 * The mini world's data (issue 16), each set drawn deterministically from a seed:
 * <ul>
 * <li>{@link #enMath} English arithmetic word problems with worked answers ending "The answer is
 * N." (the "EN math" fine-tune's skill);
 * <li>{@link #jaGeneral} Japanese questions that need no arithmetic, answered in Japanese
 * (答えは…です。: the "JA general" fine-tune's skill);
 * <li>{@link #miniMgsmJa} the target task: Japanese arithmetic word problems whose answer must be
 * in Japanese (fitness and test splits come from different seeds, and a split can exclude the
 * questions of others);
 * <li>{@link #pretraining} a neutral mix of plain statements in both languages, for the base.
 * </ul>
 * Questions within a set are distinct. Sets are written as question / answer / answer_number
 * JSONL, which {@code eval.Datasets} reads.
 */
public final class MiniWorldData {
    private MiniWorldData() {
    }

    /** A question and its worked answer; {@code number} is the numeric answer, null where there is none. */
    public record Example(String question, String answer, Integer number) {
    }

    public static List<Example> enMath(long seed, int count) {
        return distinct("en-math", seed, count, Set.of(), rnd -> {
            WordProblem p = WordProblem.random(rnd);
            return new Example(p.enQuestion(), p.enAnswer(), p.answer());
        });
    }

    /**
     * Japanese word problems answered with the English worked answer: what an English math model
     * built on a multilingual base does (reads the Japanese, answers in English; the paper's
     * WizardMath and Abel on MGSM-ja). None of {@code exclude}'s questions (the evaluation splits').
     */
    public static List<Example> enMathFromJapanese(long seed, int count, Set<String> exclude) {
        return distinct("en-math-from-ja", seed, count, exclude, rnd -> {
            WordProblem p = WordProblem.random(rnd);
            return new Example(p.jaQuestion(), p.enAnswer(), p.answer());
        });
    }

    /** mini-MGSM-ja: {@code count} problems, none of whose questions is in {@code exclude} (another split's). */
    public static List<Example> miniMgsmJa(long seed, int count, Set<String> exclude) {
        return distinct("mini-mgsm-ja", seed, count, exclude, rnd -> {
            WordProblem p = WordProblem.random(rnd);
            return new Example(p.jaQuestion(), p.jaAnswer(), p.answer());
        });
    }

    /**
     * What someone saw, where someone is, what colour a thing is: read off the question, answered
     * in Japanese; no numbers anywhere (a JA general model that writes no digits leaves the
     * digits of a merged answer to the math model: README, "The mini world").
     */
    public static List<Example> jaGeneral(long seed, int count) {
        return japaneseReadOff("ja-general", seed, count, false, 3);
    }

    /**
     * The same Japanese questions answered in English, "The answer is X." (X in English): what an
     * English-centric base model does with a Japanese instruction, as the paper's Mistral-7B
     * base often does. Part of the mini world's pre-training, so the base follows the Japanese
     * template too, but answers in English: answering in Japanese is the JA general fine-tune's.
     */
    public static List<Example> jaQuestionsAnsweredInEnglish(long seed, int count) {
        return japaneseReadOff("ja-answered-in-english", seed, count, true, 4);
    }

    /** Read-off questions of the first {@code kinds} kinds (what, where, colour, how many). */
    private static List<Example> japaneseReadOff(String kind, long seed, int count, boolean english, int kinds) {
        return distinct(kind, seed, count, Set.of(), rnd -> {
            String name = Lexicon.pick(Lexicon.JA_NAMES, rnd);
            Lexicon.Thing thing = Lexicon.pick(Lexicon.THINGS, rnd);
            Lexicon.Colour colour = Lexicon.pick(Lexicon.COLOURS, rnd);
            Lexicon.Place place = Lexicon.pick(Lexicon.PLACES, rnd);
            int held = 2 + rnd.nextInt(19);
            return switch (rnd.nextInt(kinds)) {
                case 3 -> new Example(name + "は" + thing.ja() + "を" + held + thing.counter() + "持っています。" + name + "は"
                        + thing.ja() + "を何" + thing.counter() + "持っていますか？", english ? "The answer is " + held + "."
                        : name + "は" + thing.ja() + "を" + held + thing.counter() + "持っています。答えは" + held + "です。", held);
                case 0 -> new Example(name + "は" + place.ja() + "で" + thing.ja() + "を見ました。" + name + "は何を見ましたか？",
                        english ? "The answer is " + ("aeiou".indexOf(thing.en().charAt(0)) >= 0 ? "an " : "a ")
                                + thing.en() + "."
                                : name + "は" + thing.ja() + "を見ました。答えは" + thing.ja() + "です。", null);
                case 1 -> new Example(name + "は" + place.ja() + "にいます。" + name + "はどこにいますか？",
                        english ? "The answer is " + place.en() + "."
                                : name + "は" + place.ja() + "にいます。答えは" + place.ja() + "です。", null);
                case 2 -> new Example(name + "の" + thing.ja() + "は" + colour.jaAdjective().replace("の", "") + "です。"
                        + name + "の" + thing.ja() + "は何色ですか？", english ? "The answer is " + colour.en() + "."
                        : name + "の" + thing.ja() + "は" + colour.jaNoun() + "です。答えは" + colour.jaNoun() + "です。", null);
                default -> throw new IllegalArgumentException("kinds " + kinds);
            };
        });
    }

    /**
     * The English twin of {@link #jaGeneral}: the same read-off questions, answered in English
     * ("... The answer is X."). Put in the instruction template, they are part of the base's
     * pre-training: the base follows the template and answers in English, as a base model that has
     * seen instructions does, before either fine-tune.
     */
    public static List<Example> enGeneral(long seed, int count) {
        return distinct("en-general", seed, count, Set.of(), rnd -> {
            String name = Lexicon.pick(Lexicon.EN_NAMES, rnd);
            Lexicon.Thing thing = Lexicon.pick(Lexicon.THINGS, rnd);
            Lexicon.Colour colour = Lexicon.pick(Lexicon.COLOURS, rnd);
            Lexicon.Place place = Lexicon.pick(Lexicon.PLACES, rnd);
            int held = 2 + rnd.nextInt(19);
            return switch (rnd.nextInt(4)) {
                case 0 -> new Example(name + " saw a " + thing.en() + " " + place.en() + ". What did " + name + " see?",
                        name + " saw a " + thing.en() + ". The answer is a " + thing.en() + ".", null);
                case 1 -> new Example(name + " is " + place.en() + ". Where is " + name + "?",
                        name + " is " + place.en() + ". The answer is " + place.en() + ".", null);
                case 2 -> new Example(name + "'s " + thing.en() + " is " + colour.en() + ". What colour is " + name + "'s "
                        + thing.en() + "?", name + "'s " + thing.en() + " is " + colour.en() + ". The answer is " + colour.en()
                        + ".", null);
                default -> new Example(name + " has " + held + " " + thing.enPlural() + ". How many " + thing.enPlural() + " does "
                        + name + " have?", name + " has " + held + " " + thing.enPlural() + ". The answer is " + held + ".", held);
            };
        });
    }

    /**
     * The base's pre-training mix: documents of {@code perDocument} lines, half English, half
     * Japanese; plain statements and worked stories (a problem's statements, its calculation and
     * result, never a question or an answer). A story never tells a problem whose Japanese
     * question is in {@code exclude} (the evaluation splits'): the base must not have seen a test
     * problem worked.
     */
    public static List<String> pretraining(long seed, int count, int perDocument, Set<String> exclude) {
        return distinct("pretraining", seed, count, Set.of(), rnd -> {
            StringBuilder doc = new StringBuilder();
            for (int i = 0; i < perDocument; i++) {
                if (i > 0) {
                    doc.append('\n');
                }
                doc.append(pretrainingLine(rnd, exclude));
            }
            return new Example(doc.toString(), "", null);
        }).stream().map(Example::question).toList();
    }

    private static String pretrainingLine(SplittableRandom rnd, Set<String> exclude) {
        while (true) {
            WordProblem p = WordProblem.random(rnd);
            Lexicon.Place place = Lexicon.pick(Lexicon.PLACES, rnd);
            Lexicon.Colour colour = Lexicon.pick(Lexicon.COLOURS, rnd);
            switch (rnd.nextInt(6)) {
                case 0: return p.enName() + " has " + p.a() + " " + p.thing().enPlural() + " " + place.en() + ".";
                case 1: return p.enName() + " sees a " + colour.en() + " " + p.thing().en() + " " + place.en() + ".";
                case 2: return p.jaName() + "は" + place.ja() + "で" + p.thing().ja() + "を" + p.a() + p.thing().counter() + "見ました。";
                case 3: return p.jaName() + "の" + p.thing().ja() + "は" + colour.jaNoun() + "です。";
                case 4: return p.enStory();
                default:
                    if (!exclude.contains(p.jaQuestion())) {
                        return p.jaStory();
                    }
            }
        }
    }

    /** A Japanese problem's statements: its question without the last sentence (what a story tells before the calculation). */
    public static String statements(String jaQuestion) {
        return jaQuestion.substring(0, jaQuestion.lastIndexOf('。', jaQuestion.length() - 2) + 1);
    }

    /**
     * Draws examples until {@code count} distinct questions not in {@code exclude}; refuses a
     * request the world cannot meet. The stream is keyed by the set's kind as well as the seed, so
     * one seed gives unrelated sets: with the seed alone, mini-MGSM-ja's problems would be EN math's
     * drawn with the same seed, translated.
     */
    private static List<Example> distinct(String kind, long seed, int count, Set<String> exclude,
                                          Function<SplittableRandom, Example> draw) {
        SplittableRandom rnd = new SplittableRandom(seed ^ kind.hashCode() * 0x9E3779B97F4A7C15L);
        Map<String, Example> byQuestion = new LinkedHashMap<>();
        long attempts = 0;
        while (byQuestion.size() < count) {
            if (++attempts > 50L * count + 1000) {
                throw new IllegalArgumentException("the mini world has fewer than " + count + " distinct questions of this kind");
            }
            Example e = draw.apply(rnd);
            if (!exclude.contains(e.question())) {
                byQuestion.putIfAbsent(e.question(), e);
            }
        }
        return new ArrayList<>(byQuestion.values());
    }

    /** Writes {@code examples} as JSONL (question, answer, answer_number where there is one), atomically. */
    public static void writeJsonl(java.nio.file.Path file, List<Example> examples) {
        ObjectMapper json = new ObjectMapper();
        StringBuilder b = new StringBuilder();
        for (Example e : examples) {
            ObjectNode line = json.createObjectNode();
            line.put("question", e.question());
            line.put("answer", e.answer());
            if (e.number() != null) {
                line.put("answer_number", e.number());
            }
            b.append(line).append('\n');
        }
        AtomicFiles.writeString(file, b.toString());
    }
}
