package dev.evomerge.jobs;

import java.nio.file.Files;
import java.nio.file.Path;

/** The bundled models, found from wherever the jobs tests run. */
final class JobFixtures {
    private JobFixtures() {
    }

    static Path model(String name) {
        return find("models", name);
    }

    static Path data(String name) {
        return find("data", name);
    }

    private static Path find(String folder, String name) {
        Path p = Path.of("").toAbsolutePath();
        while (!Files.exists(p.resolve(folder).resolve(name))) {
            p = p.getParent();
        }
        return p.resolve(folder).resolve(name);
    }

    /**
     * A short evolve run on the bundled models: 4 candidates a generation, 2 shards, a handful of
     * MGSM items per language, so a whole run takes seconds.
     */
    static String smallRun(String runId, int generations, String method, String jaModel) {
        return smallRun(runId, generations, "merge:\n  method: " + method + "\n  base_model: " + model("stories260K") + "\n  models: ["
                + model("stories260K-math") + ", " + jaModel + "]\n" + "genome: {layer_granularity: 1}\n");
    }

    /** The same short run with another merge section ({@code merge:} and, for a PS run, {@code genome:}). */
    static String smallRun(String runId, int generations, String merge) {
        return "run_id: " + runId + "\n"
                + merge
                + "optimizer: {population: 4, generations: " + generations + ", seed: 11}\n"
                + "fitness:\n  shards: 2\n  batch_size: 4\n  tasks:\n"
                + "    - {name: en, task: likelihood, data: " + data("mgsm/mgsm_en.tsv") + ", split: 'range:0:4'}\n"
                + "    - {name: ja, task: likelihood, data: " + data("mgsm/mgsm_ja.tsv") + ", split: 'range:0:4'}\n"
                + "test:\n  tasks:\n"
                + "    - {name: en, task: likelihood, data: " + data("mgsm/mgsm_en.tsv") + ", split: 'range:200:204'}\n"
                + "    - {name: ja, task: likelihood, data: " + data("mgsm/mgsm_ja.tsv") + ", split: 'range:200:204'}\n";
    }
}
