package dev.evomerge.model;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.Device;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.evomerge.Fixtures;
import dev.evomerge.io.Checkpoint;
import dev.evomerge.io.CheckpointCache;
import dev.evomerge.io.Storage;
import dev.evomerge.merge.AsIs;
import dev.evomerge.merge.LayerPathMerge;
import dev.evomerge.merge.MergeRun;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Layer paths against Hugging Face transformers: the logits of a stack of decoder layers copied
 * out of the two bundled fine-tunes, with forward pre-hooks scaling each layer's input
 * ({@code scripts/golden/layer_path_hf.py} made {@code layer-path-hf.json}), equal evomerge's path
 * over the same layers, and its export written and loaded again.
 */
class LayerPathGoldenTest {
    @TempDir
    Path tmp;

    @Test
    void pathsAndTheirExportsGiveTheLogitsTransformersGives() throws Exception {
        JsonNode golden = new ObjectMapper().readTree(LayerPathGoldenTest.class.getResourceAsStream("/layer-path-hf.json"));
        long[] tokens = new ObjectMapper().convertValue(golden.get("tokens"), long[].class);
        String ja = Fixtures.model("stories260K-ja").toString();
        String math = Fixtures.model("stories260K-math").toString();
        for (String name : List.of("plain", "scaled")) {
            JsonNode g = golden.get("paths").get(name);
            List<LayerPath.Step> steps = new ArrayList<>();
            g.get("path").forEach(s -> steps.add(new LayerPath.Step(s.get(0).asInt(), s.get(1).asInt(), s.get(2).asDouble())));
            LayerPath path = new LayerPath(steps, 0);
            Path out = tmp.resolve(name);
            MergeRun.run(new LayerPathMerge(List.of(new AsIs(ja), new AsIs(math)), path, null), out.toString(), Storage.withDefaults(),
                    new CheckpointCache(Storage.withDefaults(), tmp.resolve("cache")));
            try (Checkpoint a = Checkpoint.open(Path.of(ja)); Checkpoint b = Checkpoint.open(Path.of(math));
                 Transformer walked = Transformer.load(List.of(WeightSource.of(a), WeightSource.of(b)), path, Device.cpu());
                 Checkpoint written = Checkpoint.open(out);
                 Transformer loaded = Transformer.load(written, Device.cpu())) {
                assertEquals(name.equals("plain"), written.config().layerScales().isEmpty(), name);
                assertClose(g.get("logits"), walked.logits(tokens), name + " as a path");
                assertClose(g.get("logits"), loaded.logits(tokens), name + " written and loaded");
            }
        }
    }

    private static void assertClose(JsonNode expected, float[] actual, String what) {
        assertEquals(expected.size(), actual.length, what);
        double worst = 0;
        for (int i = 0; i < actual.length; i++) {
            worst = Math.max(worst, Math.abs(expected.get(i).asDouble() - actual[i]));
        }
        // float32 both ways; only the order of the additions differs
        assertEquals(0, worst, 1e-4, what + ": max |logit - transformers'| " + worst);
    }
}
