package dev.evomerge.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import dev.evomerge.Fixtures;
import dev.evomerge.io.Checkpoint;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** What the engine sets up itself, so that executors launched without evomerge's flags or environment still behave. */
class EngineSettingsTest {

    @Test
    void djlIsOfflineEvenInAJvmLaunchedWithoutTheFlag() throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command = new ArrayList<>(List.of(java, "-cp", System.getProperty("java.class.path")));
        command.add(EngineSettingsTest.class.getName());
        assertTrue(command.stream().noneMatch(a -> a.contains("ai.djl.offline")));
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        pb.environment().remove("DJL_OFFLINE");
        Process child = pb.start();
        String out = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(child.waitFor(120, TimeUnit.SECONDS), "child JVM finished");
        assertEquals(0, child.exitValue(), out);
        assertTrue(out.contains("offline before: null"), out);
        assertTrue(out.contains("offline as DJL sees it after loading a model: true"), out);
    }

    /** The child's side: loads a model the way a worker does, then asks DJL. */
    public static void main(String[] args) {
        System.out.println("offline before: " + System.getProperty("ai.djl.offline"));
        try (Checkpoint c = Checkpoint.open(Fixtures.model("stories260K")); Transformer t = Transformer.load(WeightSource.of(c), Device.cpu())) {
            t.logits(new long[] {1, 400});
        }
        System.out.println("offline as DJL sees it after loading a model: " + ai.djl.util.Utils.isOfflineMode());
    }

    @Test
    void anExecutorWithoutTheAllocatorSettingsIsToldTheFix() {
        Map<String, String> env = new HashMap<>(AllocatorSettings.EXPECTED);
        assertTrue(AllocatorSettings.problem(env).isEmpty());
        env.remove("MALLOC_TOP_PAD_");
        String problem = AllocatorSettings.problem(env).orElseThrow();
        assertTrue(problem.startsWith("this process lacks MALLOC_TOP_PAD_: "), problem);
        assertTrue(problem.contains("spark.executorEnv.MALLOC_TOP_PAD_=268435456"), problem);
        assertTrue(problem.contains("conf/spark-cpu.conf"), problem);
        assertTrue(AllocatorSettings.problem(Map.of()).orElseThrow()
                .startsWith("this process lacks MALLOC_MMAP_THRESHOLD_, MALLOC_TOP_PAD_, MALLOC_TRIM_THRESHOLD_"));
        // an allocator that keeps freed memory by itself is the equivalent
        assertTrue(AllocatorSettings.problem(Map.of("LD_PRELOAD", "/usr/lib/x86_64-linux-gnu/libjemalloc.so.2")).isEmpty());
    }
}
