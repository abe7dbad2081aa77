package dev.evomerge.world;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.evomerge.driver.ConfigNode;
import dev.evomerge.io.AtomicFiles;
import dev.evomerge.io.Locations;
import dev.evomerge.io.SafeYaml;
import dev.evomerge.train.Trainer;
import dev.evomerge.train.TrainingSettings;
import dev.evomerge.train.VlmTrainer;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * The mini world's vision-language half (conf/vlm-world.yaml, issue 21): pictures and questions
 * drawn from the seed ({@link Picture}, {@link PictureQuestions}), and a small LLaVA trained on
 * them from the mini world's base ({@link VlmTrainer}), which answers questions about pictures in
 * English, as LLaVA-1.6-Mistral does in the paper. Its Japanese VQA splits (fitness and test)
 * come from other seeds, and no picture of either is in the training data. The same config gives
 * the same files, byte for byte, on the same machine.
 */
public final class VlmWorld {
    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * @param captions          training pictures described in English ({@link PictureQuestions#caption})
     * @param english           training pictures with an English question, answered in English
     * @param japaneseQuestions training pictures with the Japanese question in the English
     *                          instruction, answered in English naming the pick in the question's
     *                          words ("The answer is 赤."): the VLM reads Japanese, as its
     *                          language model's base does, and answers in English
     * @param japaneseInstruction training pictures with the Japanese question in the Japanese
     *                          instruction, answered in English words ("The answer is red."): the
     *                          instruction the evaluation asks in, answered as the English-centric
     *                          base answers it (LLaVA-1.6-Mistral answers JA-VG-VQA in English)
     * @param japaneseAnswers   training pictures with the Japanese question in the English
     *                          instruction, answered in Japanese ("答えは赤です。")
     * @param englishInJapaneseInstruction training pictures with an English question in the
     *                          Japanese instruction, answered in English: the VLM sees whatever the
     *                          instruction, and is never taught which language answers a Japanese question in it
     * @param japaneseInstructionAnswers training pictures with the Japanese question in the
     *                          Japanese instruction, answered in Japanese: the evaluation's very
     *                          items, a few, as a VLM that has seen a little Japanese
     * @param wordReferences    the Japanese splits' references are the answer's word alone ("赤", "3つ"),
     *                          not the sentence ("答えは赤です。")
     */
    public record Settings(long seed, Path data, int pictureSize, int captions, int english, int japaneseQuestions,
                           int japaneseInstruction, int japaneseAnswers, int englishInJapaneseInstruction, int japaneseInstructionAnswers,
                           boolean wordReferences, int fitness, int test, int englishTest,
                           VlmTrainer.Config vlm) {
        /** The same world, its data written to {@code folder}. */
        public Settings withData(Path folder) {
            return new Settings(seed, folder, pictureSize, captions, english, japaneseQuestions, japaneseInstruction, japaneseAnswers,
                    englishInJapaneseInstruction, japaneseInstructionAnswers, wordReferences, fitness, test, englishTest, vlm);
        }
    }

    /** What building took. */
    public record Report(Trainer.Result vlm, double dataSeconds, double totalSeconds) {
    }

    public static Settings read(Path file) {
        ConfigNode root = ConfigNode.read(file, "world's config")
                .onlyKeys("seed", "data", "vlm");
        ConfigNode data = root.child("data").onlyKeys("out", "picture_size", "captions", "english", "japanese_questions_answered_in_english",
                "japanese_instruction_answered_in_english", "japanese_questions_answered_in_japanese", "english_questions_in_japanese_instruction",
                "japanese_instruction_answered_in_japanese", "vqa_ja_reference", "vqa_ja_fitness", "vqa_ja_test", "vqa_en_test");
        ConfigNode vlm = root.child("vlm").onlyKeys("out", "language_model", "vision", "data", "template", "stages");
        ConfigNode v = vlm.child("vision").onlyKeys("hidden_size", "intermediate_size", "num_hidden_layers", "num_attention_heads",
                "patch_size");
        int size = data.integer("picture_size", 32, 8);
        String reference = data.string("vqa_ja_reference", "sentence");
        if (!reference.equals("word") && !reference.equals("sentence")) {
            throw data.error("vqa_ja_reference", "'" + reference + "' is neither word (赤) nor sentence (答えは赤です。)");
        }
        int patch = v.integer("patch_size", 8, 1);
        if (size % patch != 0) {
            throw v.error("patch_size", patch + " does not divide picture_size " + size);
        }
        int hidden = v.integer("hidden_size", 64, 1);
        int heads = v.integer("num_attention_heads", 4, 1);
        if (hidden % heads != 0) {
            throw v.error("hidden_size", hidden + " is not a multiple of num_attention_heads " + heads);
        }
        VlmTrainer.Vision vision = new VlmTrainer.Vision(hidden, v.integer("intermediate_size", 4 * hidden, 1),
                v.integer("num_hidden_layers", 2, 1), heads, patch, size);
        List<VlmTrainer.Stage> stages = new ArrayList<>();
        for (ConfigNode stage : vlm.mappings("stages")) {
            List<String> keys = new ArrayList<>(List.of("train"));
            keys.addAll(TrainingSettings.KEYS);
            keys.removeAll(List.of("data", "template"));
            stage.onlyKeys(keys.toArray(String[]::new));
            java.util.Set<VlmTrainer.Part> parts = java.util.EnumSet.noneOf(VlmTrainer.Part.class);
            for (String part : stage.strings("train")) {
                try {
                    parts.add(VlmTrainer.Part.of(part));
                } catch (IllegalArgumentException e) {
                    throw stage.error("train", "unknown part '" + part + "' (vision_tower, projector, language_model)");
                }
            }
            if (parts.isEmpty()) {
                throw stage.error("train", "missing: the parts the stage trains");
            }
            stages.add(new VlmTrainer.Stage(parts, TrainingSettings.parse(stage, 1e-3, false)));
        }
        if (stages.isEmpty()) {
            throw vlm.error("stages", "missing: at least one stage of training");
        }
        return new Settings(root.longValue("seed", 0), data.localPath("out"), size, data.integer("captions", 0, 0),
                data.integer("english", 6000, 1), data.integer("japanese_questions_answered_in_english", 0, 0),
                data.integer("japanese_instruction_answered_in_english", 0, 0), data.integer("japanese_questions_answered_in_japanese", 0, 0),
                data.integer("english_questions_in_japanese_instruction", 0, 0), data.integer("japanese_instruction_answered_in_japanese", 0, 0),
                reference.equals("word"),
                data.integer("vqa_ja_fitness", 100, 1), data.integer("vqa_ja_test", 500, 1), data.integer("vqa_en_test", 200, 1),
                new VlmTrainer.Config(vlm.localPath("out"), vlm.localPath("language_model"), vision, vlm.localPath("data"),
                        vlm.string("template", "en-alpaca-cot"), stages));
    }

    public static Report build(Settings s, PrintStream progress) {
        long start = System.nanoTime();
        writeData(s, progress);
        double dataSeconds = (System.nanoTime() - start) / 1e9;
        Trainer.Result r = VlmTrainer.train(s.vlm(), progress);
        progress.printf(Locale.ROOT, "%s: %,d parameters, %,d tokens in %.0f s (%.0f tokens/s)%n", s.vlm().out().getFileName(),
                r.parameters(), r.tokens(), r.seconds(), r.tokensPerSecond());
        return new Report(r, dataSeconds, (System.nanoTime() - start) / 1e9);
    }

    /**
     * Draws and writes the sets: the Japanese VQA splits first (each picture at most once), then
     * the training pictures, none of them one of the splits' (compared as PNG bytes).
     */
    static void writeData(Settings s, PrintStream progress) {
        Set<String> seen = new HashSet<>();
        int reference = s.wordReferences() ? PictureQuestions.JAPANESE_WORD : PictureQuestions.JAPANESE;
        List<Row> fitness = asked(s, "vqa-ja-fitness", s.fitness(), seen, reference, null);
        List<Row> test = asked(s, "vqa-ja-test", s.test(), seen, reference, null);
        List<Row> englishTest = asked(s, "vqa-en-test", s.englishTest(), seen, PictureQuestions.ENGLISH, null);
        List<Row> training = new ArrayList<>(asked(s, "vlm-en", s.english(), seen, PictureQuestions.ENGLISH, null));
        // captions and the other forms of question, mixed in at places drawn from the seed
        SplittableRandom mix = new SplittableRandom(s.seed());
        List<Row> others = new ArrayList<>(draw(s, "vlm-caption", s.captions(), seen, (p, rnd) -> PictureQuestions.caption(p)));
        others.addAll(asked(s, "vlm-ja-question", s.japaneseQuestions(), seen, PictureQuestions.JAPANESE_IN_ENGLISH_FRAME, null));
        others.addAll(asked(s, "vlm-ja-instruction", s.japaneseInstruction(), seen, PictureQuestions.JAPANESE_IN_ENGLISH,
                JAPANESE_INSTRUCTION));
        others.addAll(asked(s, "vlm-ja-answer", s.japaneseAnswers(), seen, PictureQuestions.JAPANESE, null));
        others.addAll(asked(s, "vlm-en-in-ja-instruction", s.englishInJapaneseInstruction(), seen, PictureQuestions.ENGLISH,
                JAPANESE_INSTRUCTION));
        others.addAll(asked(s, "vlm-ja-in-ja-instruction", s.japaneseInstructionAnswers(), seen, PictureQuestions.JAPANESE,
                JAPANESE_INSTRUCTION));
        for (Row r : others) {
            training.add(mix.nextInt(training.size() + 1), r);
        }
        write(s.data().resolve("vlm_train.jsonl"), training);
        write(s.data().resolve("vqa_ja_fitness.jsonl"), fitness);
        write(s.data().resolve("vqa_ja_test.jsonl"), test);
        write(s.data().resolve("vqa_en_test.jsonl"), englishTest);
        progress.printf(Locale.ROOT, "data: %d training pictures (%d captions, %d English questions, %d Japanese ones answered in "
                        + "English, %d of them in the Japanese instruction, %d answered in Japanese, %d of them in the Japanese "
                        + "instruction, %d English ones in the Japanese instruction), Japanese VQA %d fitness + %d test (%s references), "
                        + "English VQA %d test -> %s%n",
                training.size(), s.captions(), s.english(), s.japaneseQuestions() + s.japaneseInstruction(), s.japaneseInstruction(),
                s.japaneseAnswers() + s.japaneseInstructionAnswers(), s.japaneseInstructionAnswers(), s.englishInJapaneseInstruction(),
                fitness.size(), test.size(), s.wordReferences() ? "word" : "sentence", englishTest.size(), s.data());
    }

    /** The template of the Japanese VQA splits, which the Japanese-instruction training items name. */
    static final String JAPANESE_INSTRUCTION = "ja-alpaca-cot";

    /** One item: a question, its answer, the picture as PNG, and the template it is asked in (null: the trainer's). */
    record Row(String question, String answer, byte[] png, String template) {
        Row in(String named) {
            return new Row(question, answer, png, named);
        }
    }

    /**
     * {@code count} pictures of their own stream (keyed by {@code kind}), each new (not in
     * {@code seen}, which they join), each with the question and answer {@code ask} gives for it
     * (drawn from the same stream).
     */
    static List<Row> draw(Settings s, String kind, int count, Set<String> seen,
                          java.util.function.BiFunction<Picture, SplittableRandom, PictureQuestions.Item> ask) {
        SplittableRandom rnd = new SplittableRandom(s.seed() ^ kind.hashCode() * 0x9E3779B97F4A7C15L);
        List<Row> out = new ArrayList<>();
        long attempts = 0;
        while (out.size() < count) {
            if (++attempts > 10L * count + 1000) {
                throw new IllegalArgumentException("fewer than " + count + " distinct pictures of size " + s.pictureSize());
            }
            Picture p = Picture.random(s.pictureSize(), rnd);
            byte[] png = p.png();
            PictureQuestions.Item item = ask.apply(p, rnd);
            if (seen.add(Base64.getEncoder().encodeToString(png))) {
                out.add(new Row(item.question(), item.answer(), png, null));
            }
        }
        return out;
    }

    /**
     * {@code count} pictures of their own stream ({@link #draw}), each with one of its questions in
     * the form {@code form} of {@link PictureQuestions#one}, asked in {@code template} (null: the
     * trainer's).
     */
    static List<Row> asked(Settings s, String kind, int count, Set<String> seen, int form, String template) {
        return draw(s, kind, count, seen, (p, rnd) -> PictureQuestions.one(p, rnd)[form]).stream().map(r -> r.in(template)).toList();
    }

    /** A VQA set as JSONL: question, answer, and the picture as base64 PNG ({@code image_bytes}), atomically. */
    static void write(Path file, List<Row> rows) {
        StringBuilder b = new StringBuilder();
        for (Row r : rows) {
            ObjectNode line = JSON.createObjectNode();
            line.put("question", r.question());
            line.put("answer", r.answer());
            line.put("image_bytes", Base64.getEncoder().encodeToString(r.png()));
            if (r.template() != null) {
                line.put("template", r.template());
            }
            b.append(line).append('\n');
        }
        try {
            Files.createDirectories(file.getParent());
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        AtomicFiles.writeString(file, b.toString());
    }
}
