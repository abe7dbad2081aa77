package dev.evomerge.train;

import dev.evomerge.driver.ConfigNode;
import dev.evomerge.driver.RunConfig;
import dev.evomerge.eval.EvalSet;
import dev.evomerge.io.Locations;
import dev.evomerge.io.SafeYaml;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * One composition to train (conf/compose-*.yaml): the {@code anchor} and {@code augmenting}
 * checkpoints (any Hadoop locations; both frozen), which layers the cross-attentions join
 * ({@code layers: {every: K}}, CALM's every K-th layer, or {@code layers: {pairs: [[anchor,
 * augmenting], ...]}}), their {@code heads} (default: the anchor's), what the new weights are
 * trained on and how ({@link TrainingSettings}), where the composition goes (any Hadoop location),
 * and optionally a {@code test} set (as a run config's) that the compose job scores it on.
 *
 * @param every  K of CALM's every K-th layer, or 0 when {@code pairs} are given
 * @param pairs  explicit (anchor layer, augmenting layer) pairs, or empty
 * @param heads  cross-attention heads, 0 for the anchor's
 */
public record ComposeConfig(String out, String anchor, String augmenting, int every, List<int[]> pairs, int heads,
                            TrainingSettings training, EvalSet test) {

    public static ComposeConfig read(Path file) {
        try {
            return parse(file.toString(), Locations.absolute(file.toString()), Files.readString(file));
        } catch (IOException e) {
            throw new IllegalArgumentException(file + ": cannot read composition config: " + e.getMessage());
        }
    }

    /** The config {@code yaml} of the file {@code file} (as the user named it), which lies at {@code origin}. */
    public static ComposeConfig parse(String file, String origin, String yaml) {
        return parse(new ConfigNode(file, origin, SafeYaml.tree(file, yaml)));
    }

    public static ComposeConfig parse(ConfigNode node) {
        List<String> keys = new ArrayList<>(List.of("out", "anchor", "augmenting", "layers", "heads", "test"));
        keys.addAll(TrainingSettings.KEYS);
        node.onlyKeys(keys.toArray(String[]::new));
        ConfigNode layers = node.child("layers");
        layers.onlyKeys("every", "pairs");
        if (layers.has("every") == layers.has("pairs")) {
            throw node.error("layers", "give one of every: K (CALM's every K-th layer) or pairs: [[anchor layer, augmenting layer], ...]");
        }
        int every = layers.has("every") ? layers.integer("every", 1, 1) : 0;
        List<int[]> pairs = layers.has("pairs") ? layers.intPairs("pairs", 0) : List.of();
        EvalSet test = node.has("test") ? RunConfig.evalSet(node.child("test"), null) : null;
        return new ComposeConfig(node.location("out"), node.location("anchor"), node.location("augmenting"), every, pairs,
                node.integer("heads", 0, 1), TrainingSettings.parse(node, 1e-3), test);
    }

    /** The same composition written to {@code out} (the command line's OUT, any Hadoop location). */
    public ComposeConfig withOut(String out) {
        return new ComposeConfig(out, anchor, augmenting, every, pairs, heads, training, test);
    }
}
