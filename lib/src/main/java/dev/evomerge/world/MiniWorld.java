package dev.evomerge.world;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.evomerge.driver.ConfigNode;
import dev.evomerge.eval.MgsmTask;
import dev.evomerge.io.AtomicFiles;
import dev.evomerge.io.Locations;
import dev.evomerge.io.SafeYaml;
import dev.evomerge.train.BpeTrainer;
import dev.evomerge.train.TrainConfig;
import dev.evomerge.train.Trainer;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The mini world from nothing (conf/mini-world.yaml): its data drawn from the seed, a tokenizer
 * learned from the training text, then the models trained in the order the config lists them (a
 * base, then its fine-tunes). The same config gives the same files, byte for byte, on the same
 * machine.
 */
public final class MiniWorld {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** The world's config: what data to draw, the tokenizer, the training runs in order. */
    public record Settings(long seed, Path data, int documents, int linesPerDocument, int enGeneral, int jaAnsweredInEnglish,
                           int enMath, int enMathFromJapanese, int jaGeneral, int fitness,
                           int test, Path tokenizer, int vocabSize, int tokenizerSample, List<TrainConfig> training) {
    }

    /** What building took. */
    public record Report(List<Trainer.Result> runs, double dataSeconds, double tokenizerSeconds, double totalSeconds) {
    }

    public static Settings read(Path file) {
        ConfigNode root = ConfigNode.read(file, "world's config")
                .onlyKeys("seed", "data", "tokenizer", "train");
        ConfigNode data = root.child("data").onlyKeys("out", "pretraining_documents", "lines_per_document", "en_general",
                "ja_answered_in_english", "en_math", "en_math_japanese_questions",
                "ja_general", "mini_mgsm_ja_fitness", "mini_mgsm_ja_test");
        ConfigNode tokenizer = root.child("tokenizer").onlyKeys("out", "vocab_size", "sample");
        Path tokenizerDir = tokenizer.localPath("out");
        List<TrainConfig> runs = new ArrayList<>();
        for (ConfigNode run : root.mappings("train")) {
            runs.add(TrainConfig.parse(run, tokenizerDir));
        }
        return new Settings(root.longValue("seed", 0), data.localPath("out"), data.integer("pretraining_documents", 10000, 1),
                data.integer("lines_per_document", 4, 1), data.integer("en_general", 0, 0),
                data.integer("ja_answered_in_english", 0, 0), data.integer("en_math", 5000, 1),
                data.integer("en_math_japanese_questions", 0, 0), data.integer("ja_general", 5000, 1),
                data.integer("mini_mgsm_ja_fitness", 100, 1), data.integer("mini_mgsm_ja_test", 500, 1), tokenizerDir,
                tokenizer.integer("vocab_size", 768, 260), tokenizer.integer("sample", 3000, 1), runs);
    }

    public static Report build(Settings s, PrintStream progress) {
        long start = System.nanoTime();
        List<String> corpus = writeData(s, progress);
        double dataSeconds = (System.nanoTime() - start) / 1e9;
        long t = System.nanoTime();
        BpeTrainer.Bpe bpe = BpeTrainer.train(corpus, s.vocabSize(), s.tokenizerSample());
        int maxPositions = s.training().stream().mapToInt(run -> run.training().maxLength()).max().orElse(256);
        BpeTrainer.write(s.tokenizer(), bpe, maxPositions);
        double tokenizerSeconds = (System.nanoTime() - t) / 1e9;
        progress.printf(Locale.ROOT, "tokenizer: %d tokens, %d merges -> %s (%.1f s)%n", bpe.vocab().size(), bpe.merges().size(),
                s.tokenizer(), tokenizerSeconds);
        List<Trainer.Result> runs = new ArrayList<>();
        for (TrainConfig run : s.training()) {
            Trainer.Result r = Trainer.train(run, progress);
            progress.printf(Locale.ROOT, "%s: %,d parameters, %,d tokens in %.0f s (%.0f tokens/s)%n", run.out().getFileName(),
                    r.parameters(), r.tokens(), r.seconds(), r.tokensPerSecond());
            runs.add(r);
        }
        return new Report(runs, dataSeconds, tokenizerSeconds, (System.nanoTime() - start) / 1e9);
    }

    /**
     * Draws and writes every set; returns the text the tokenizer learns from: the base's
     * pre-training text (the fine-tunes inherit the base's tokenizer, as real fine-tunes do, so a
     * change to their data never changes it). The evaluation splits come first so the training text
     * can be checked against them: no test or fitness problem is in any training file.
     */
    static List<String> writeData(Settings s, PrintStream progress) {
        List<MiniWorldData.Example> fitness = MiniWorldData.miniMgsmJa(s.seed(), s.fitness(), Set.of());
        Set<String> evaluation = new HashSet<>();
        fitness.forEach(e -> evaluation.add(e.question()));
        List<MiniWorldData.Example> test = MiniWorldData.miniMgsmJa(s.seed() + 1, s.test(), evaluation);
        test.forEach(e -> evaluation.add(e.question()));
        // The base reads documents and, mixed in at random places, read-off questions in the
        // instruction templates, answered in English whatever their language: an English-centric base
        // that follows instructions, as the paper's Mistral-7B is, before either fine-tune.
        List<String> pretraining = new ArrayList<>(MiniWorldData.pretraining(s.seed(), s.documents(), s.linesPerDocument(),
                evaluation));
        java.util.SplittableRandom mix = new java.util.SplittableRandom(s.seed());
        for (var e : MiniWorldData.enGeneral(s.seed(), s.enGeneral())) {
            pretraining.add(mix.nextInt(pretraining.size() + 1), MgsmTask.EN_ALPACA_COT.replace("{input}", e.question()) + e.answer());
        }
        for (var e : MiniWorldData.jaQuestionsAnsweredInEnglish(s.seed(), s.jaAnsweredInEnglish())) {
            pretraining.add(mix.nextInt(pretraining.size() + 1), MgsmTask.JA_ALPACA_COT.replace("{input}", e.question()) + e.answer());
        }
        List<MiniWorldData.Example> enMath = new ArrayList<>(MiniWorldData.enMath(s.seed(), s.enMath()));
        // Japanese questions in the English instruction, answered in English: EN math learns to read them
        // without learning to answer a Japanese instruction in English (which would fight JA general's
        // Japanese answer at the same tokens; README, "The mini world").
        for (var e : MiniWorldData.enMathFromJapanese(s.seed(), s.enMathFromJapanese(), evaluation)) {
            enMath.add(mix.nextInt(enMath.size() + 1), e);
        }
        List<MiniWorldData.Example> jaGeneral = MiniWorldData.jaGeneral(s.seed(), s.jaGeneral());
        List<String> training = new ArrayList<>(pretraining);
        enMath.forEach(e -> training.add(e.question() + "\n" + e.answer()));
        jaGeneral.forEach(e -> training.add(e.question() + "\n" + e.answer()));
        // A problem is in the training text if its question is, or its statements are (a worked story of it).
        for (String q : evaluation) {
            String told = MiniWorldData.statements(q);
            if (training.stream().anyMatch(text -> text.contains(told))) {
                throw new IllegalStateException("an evaluation problem is in the training text: " + q);
            }
        }
        try {
            Files.createDirectories(s.data());
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        StringBuilder lines = new StringBuilder();
        for (String doc : pretraining) {
            ObjectNode line = JSON.createObjectNode();
            line.put("text", doc);
            lines.append(line).append('\n');
        }
        AtomicFiles.writeString(s.data().resolve("pretraining.jsonl"), lines.toString());
        MiniWorldData.writeJsonl(s.data().resolve("en_math.jsonl"), enMath);
        MiniWorldData.writeJsonl(s.data().resolve("ja_general.jsonl"), jaGeneral);
        MiniWorldData.writeJsonl(s.data().resolve("mini_mgsm_ja_fitness.jsonl"), fitness);
        MiniWorldData.writeJsonl(s.data().resolve("mini_mgsm_ja_test.jsonl"), test);
        progress.printf(Locale.ROOT, "data: %d pre-training texts (%d EN and %d JA questions answered in English among them), %d EN math (%d of them Japanese questions), %d JA general, mini-MGSM-ja %d fitness + %d test -> %s%n",
                pretraining.size(), s.enGeneral(), s.jaAnsweredInEnglish(), enMath.size(), s.enMathFromJapanese(), jaGeneral.size(), fitness.size(), test.size(), s.data());
        return pretraining;
    }
}
