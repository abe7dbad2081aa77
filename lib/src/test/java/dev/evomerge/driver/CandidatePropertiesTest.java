package dev.evomerge.driver;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.evomerge.Fixtures;
import dev.evomerge.io.CheckpointCache;
import dev.evomerge.io.CheckpointHeaders;
import dev.evomerge.io.Locations;
import dev.evomerge.io.Storage;
import dev.evomerge.merge.AsIs;
import dev.evomerge.merge.LayerPathMerge;
import dev.evomerge.merge.MergeConfig;
import dev.evomerge.merge.MergeRun;
import dev.evomerge.model.LayerPath;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CandidatePropertiesTest {
    @TempDir
    Path tmp;

    private static final String JA = Locations.absolute(Fixtures.model("stories260K-ja").toString());
    private static final String MATH = Locations.absolute(Fixtures.model("stories260K-math").toString());

    /**
     * One stories260K layer by hand, from its config.json: hidden 64, 8 heads of 8, 4 key-value
     * heads, intermediate 172: q and o 64 x 64, k and v 64 x 32, gate, up and down 64 x 172, two norms.
     */
    private static final long LAYER = 2 * 64 * 64 + 2 * 64 * 32 + 3 * 64 * 172 + 2 * 64;
    /** The whole model: five layers, the tied embeddings 512 x 64 and the final norm (the README's 260,032). */
    private static final long MODEL = 5 * LAYER + 512 * 64 + 64;

    @Test
    void depthAndParametersOfModelsMergesAndPaths() {
        CandidateProperties props = new CandidateProperties(Storage.withDefaults());
        assertEquals(260_032, MODEL);
        assertEquals(5, props.depth(new AsIs(JA)));
        assertEquals(MODEL, props.parameters(new AsIs(JA)));
        MergeConfig merge = MergeConfig.parse("m", """
                merge_method: linear
                models: [{model: %s, parameters: {weight: 1}}, {model: %s, parameters: {weight: 1}}]
                """.formatted(JA, MATH));
        assertEquals(5, props.depth(merge));
        assertEquals(MODEL, props.parameters(merge));
        // ja 0, 1; math 2 twice; ja 3, 4: one layer more than a model
        LayerPathMerge path = new LayerPathMerge(List.of(new AsIs(JA), new AsIs(MATH)), new LayerPath(List.of(
                new LayerPath.Step(0, 0, 1), new LayerPath.Step(0, 1, 1), new LayerPath.Step(1, 2, 1), new LayerPath.Step(1, 2, 0.5),
                new LayerPath.Step(0, 3, 1), new LayerPath.Step(0, 4, 1)), 0), null);
        assertEquals(6, props.depth(path));
        assertEquals(MODEL + LAYER, props.parameters(path));
        assertEquals(Map.of("depth", 6.0, "parameters", (double) (MODEL + LAYER)), props.of(path, List.of(
                new Objective("d", null, "depth", false), new Objective("p", null, "parameters", false))));
        // and the checkpoint the path is written as holds exactly that many
        String out = tmp.resolve("path").toString();
        MergeRun.run(path, out, Storage.withDefaults(), new CheckpointCache(Storage.withDefaults(), tmp.resolve("cache")));
        assertEquals(MODEL + LAYER, CheckpointHeaders.read(Storage.withDefaults(), out).parameters());
    }
}
