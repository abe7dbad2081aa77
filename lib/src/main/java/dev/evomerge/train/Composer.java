package dev.evomerge.train;

import ai.djl.Device;
import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.evomerge.io.AtomicDirectory;
import dev.evomerge.io.Checkpoint;
import dev.evomerge.io.CheckpointCache;
import dev.evomerge.io.CheckpointException;
import dev.evomerge.io.Storage;
import dev.evomerge.model.ComposedCheckpoint;
import dev.evomerge.model.Composition;
import dev.evomerge.model.Tokenizer;
import dev.evomerge.model.Transformer;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.function.Function;

/**
 * Trains a composition (CALM, {@link Composition}): both parents loaded and frozen, the new
 * cross-attention weights (and only they) trained by {@link TrainingLoop} on the config's data
 * with the language-model objective, then written as a composition directory
 * ({@link ComposedCheckpoint}) with the anchor's tokenizer, the training log and its picture.
 */
public final class Composer {
    private static final ObjectMapper JSON = new ObjectMapper();

    private Composer() {
    }

    /** What a run did: its log, the parameters it added, its speed. */
    public record Result(String out, List<TrainingLog.Row> log, long parameters, long tokens, double seconds) {
    }

    /** Trains {@code config}'s composition into its {@code out} (local, or published to a Hadoop location when done). */
    public static Result compose(ComposeConfig config, Storage storage, CheckpointCache cache, PrintStream progress) {
        Result[] result = new Result[1];
        storage.writeDirectory(config.out(), dir -> result[0] = compose(config, dir, cache::localize, progress));
        return result[0];
    }

    /**
     * Trains {@code config}'s composition into the local directory {@code out} (written atomically);
     * {@code localize} turns a parent's location into a local checkpoint directory.
     */
    public static Result compose(ComposeConfig config, Path out, Function<String, Path> localize, PrintStream progress) {
        TrainingSettings settings = config.training();
        try (Checkpoint a = Checkpoint.open(localize.apply(config.anchor()));
             Checkpoint b = Checkpoint.open(localize.apply(config.augmenting()))) {
            requireSameTokenizer(config, a, b);
            long eos = a.config().eosTokenIds().get(0);
            try (Tokenizer tokenizer = Tokenizer.load(a.dir(), a.config());
                 Transformer anchor = Transformer.load(a, Device.cpu(), DataType.FLOAT32);
                 Transformer augmenting = Transformer.load(b, Device.cpu(), DataType.FLOAT32);
                 Composition composition = Composition.create(anchor, augmenting, config.every() > 0
                         ? Composition.everyKth(anchor.depth(), augmenting.depth(), config.every())
                         : config.pairs().stream().map(p -> new Composition.Pair(p[0], p[1])).toList(),
                         config.heads() > 0 ? config.heads() : a.config().numAttentionHeads(), settings.seed())) {
                TrainingSet data = TrainingSet.read(settings.data(), tokenizer, settings.template(), settings.maxLength(), eos);
                progress.printf(Locale.ROOT, "composing %s: anchor %s, augmenting %s, %d cross-attention(s) %s, %d examples, "
                                + "%d steps of %d%n", out.getFileName(), config.anchor(), config.augmenting(),
                        composition.pairs().size(), composition.pairs().stream().map(p -> p.anchorLayer() + "<-" + p.augmentingLayer())
                                .toList(), data.size(), settings.steps(), settings.batchSize());
                TrainingLoop.Outcome done = TrainingLoop.run(composition, composition.parameters(), data, settings, eos, progress);
                write(config, out, composition, a, b, done);
                return new Result(config.out(), done.log(), done.parameters(), done.tokens(), done.seconds());
            }
        }
    }

    /** CALM reads both models on the same token ids: their tokenizers must number the same tokens the same way. */
    private static void requireSameTokenizer(ComposeConfig config, Checkpoint a, Checkpoint b) {
        JsonNode ta = Checkpoint.readOptionalJson(a.dir().resolve("tokenizer.json"));
        JsonNode tb = Checkpoint.readOptionalJson(b.dir().resolve("tokenizer.json"));
        if (ta == null || tb == null) {
            throw new CheckpointException(ta == null ? config.anchor() : config.augmenting(), "no tokenizer.json: a composition "
                    + "checks that both models share one tokenizer");
        }
        if (!Objects.equals(ta.get("model"), tb.get("model")) || !Objects.equals(ta.get("added_tokens"), tb.get("added_tokens"))) {
            throw new CheckpointException(config.augmenting(), "tokenizer.json differs from the anchor's (" + config.anchor()
                    + "): CALM reads both models on the same tokens, so they need one tokenizer");
        }
    }

    private static void write(ComposeConfig config, Path out, Composition composition, Checkpoint a, Checkpoint b,
                              TrainingLoop.Outcome done) {
        TrainingSettings s = config.training();
        ObjectNode training = JSON.createObjectNode();
        training.put("data", s.data().toString()).put("template", s.template()).put("steps", s.steps())
                .put("batch_size", s.batchSize()).put("learning_rate", s.learningRate()).put("seed", s.seed())
                .put("parameters", done.parameters()).put("tokens", done.tokens())
                .put("final_loss", done.log().get(done.log().size() - 1).loss());
        try (AtomicDirectory dir = AtomicDirectory.createReplacing(out)) {
            Path d = dir.path();
            ComposedCheckpoint.write(d, composition, config.anchor(), a, config.augmenting(), b, training);
            for (Path f : a.tokenizerFiles()) {
                Files.copy(f, d.resolve(f.getFileName()));
            }
            Files.writeString(d.resolve("training_log.csv"), TrainingLog.csv(done.log()));
            Files.write(d.resolve("loss.png"), TrainingLog.png(done.log(), "training loss of the composition " + out.getFileName()));
            Files.writeString(d.resolve("README.md"), card(config, composition, done));
            dir.commit();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + out + ": " + e.getMessage(), e);
        }
    }

    private static String card(ComposeConfig config, Composition composition, TrainingLoop.Outcome done) {
        return "# Composition\n\nMade with evomerge: CALM (Bansal et al. 2024). The anchor `" + config.anchor() + "` reads the "
                + "augmenting model `" + config.augmenting() + "` through " + composition.pairs().size() + " trained cross-attention "
                + "layer(s) (" + composition.heads() + " heads each), " + String.format(Locale.ROOT, "%,d", done.parameters())
                + " new parameters; both models frozen and read from where they are (`" + ComposedCheckpoint.CONFIG + "` names them "
                + "with their SHA-256). Evaluate it with `scripts/eval --model` this directory.\n";
    }
}
