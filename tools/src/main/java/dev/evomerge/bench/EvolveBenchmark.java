package dev.evomerge.bench;

import dev.evomerge.driver.RunConfig;
import dev.evomerge.driver.RunState;
import dev.evomerge.driver.RunStore;
import dev.evomerge.io.Storage;
import dev.evomerge.jobs.EvolveJob;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import org.apache.spark.sql.SparkSession;

/**
 * Benchmarks of the evolve job ({@code scripts/bench evolve ...}).
 *
 * <ul>
 *   <li>{@code split RUN_DIR}: where a finished run's generations spent their time: building
 *       candidates, evaluating, Spark scheduling (job time not spent in task code, per slot) and the
 *       driver (ask, decode, reduce, tell, Parquet, checkpoint), as fractions of the generation.</li>
 *   <li>{@code scaling [CONFIG]}: the same evaluation-heavy generation in local[1] and local[2]
 *       (one PyTorch thread per task core), and the speedup.</li>
 * </ul>
 */
public final class EvolveBenchmark {
    private EvolveBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length >= 2 && args[0].equals("split")) {
            split(args[1]);
        } else if (args.length >= 1 && args[0].equals("scaling")) {
            scaling(args.length > 1 ? args[1] : EvolveJob.DEFAULT_CONFIG);
        } else {
            System.err.println("usage: EvolveBenchmark split RUN_DIR | scaling [CONFIG]");
            System.exit(2);
        }
    }

    static void split(String runDir) {
        RunState state = new RunStore(Storage.withDefaults(), runDir).latest()
                .orElseThrow(() -> new IllegalArgumentException(runDir + ": no checkpoint/ (not a run directory)"));
        System.out.println("generation   total s   build   evaluate   scheduling   driver   (fractions of the generation)");
        double[] sum = new double[5];
        for (RunState.GenerationStats g : state.history()) {
            double[] f = fractions(g);
            System.out.printf(Locale.ROOT, "%10d  %8.1f   %5.3f   %8.3f   %10.3f   %6.3f%n", g.generation(), g.seconds(), f[0], f[1], f[2], f[3]);
            for (int i = 0; i < 4; i++) {
                sum[i] += f[i] * g.seconds();
            }
            sum[4] += g.seconds();
        }
        System.out.printf(Locale.ROOT, "%10s  %8.1f   %5.3f   %8.3f   %10.3f   %6.3f%n", "all", sum[4], sum[0] / sum[4], sum[1] / sum[4],
                sum[2] / sum[4], sum[3] / sum[4]);
        System.out.printf(Locale.ROOT, "scheduling + driver = %.1f%% of the generation time (goal <= 10%%)%n",
                100 * (sum[2] + sum[3]) / sum[4]);
    }

    /** build, evaluate, scheduling, driver as fractions of the generation's wall time. */
    static double[] fractions(RunState.GenerationStats g) {
        double build = g.buildSeconds() / g.slots();
        double eval = g.evalSeconds() / g.slots();
        double scheduling = Math.max(0, g.jobSeconds() - build - eval);
        double driver = g.seconds() - g.jobSeconds();
        return new double[] {build / g.seconds(), eval / g.seconds(), scheduling / g.seconds(), driver / g.seconds()};
    }

    static void scaling(String config) throws Exception {
        RunConfig base = RunConfig.parse(config, EvolveJob.readText(Storage.withDefaults(), config));
        // Evaluation-heavy: 8 candidates x 4 shards, 120 items per language; generation 2 is measured
        // (generation 1 also pays for JIT warm-up and the parents' first load).
        String yaml = base.yaml().replaceAll("range:0:\\d+", "range:0:120").replaceAll("shards: \\d+", "shards: 4")
                .replaceAll("generations: \\d+", "generations: 2\n  population: 8");
        Path tmp = Files.createTempDirectory("evomerge-scaling");
        double[] seconds = new double[2];
        String[] masters = {"local[2]", "local[1]"}; // local[2] first: local[1] runs on a warmer JVM
        for (int i = 0; i < masters.length; i++) {
            RunConfig run = RunConfig.parse(config, yaml + "\n# " + masters[i] + "\n").withOut(tmp.resolve("run" + i).toString());
            SparkSession spark = SparkSession.builder().appName("scaling").master(masters[i]).config("spark.ui.enabled", "false")
                    .getOrCreate();
            try {
                EvolveJob.run(spark, run, new PrintStream(OutputStream.nullOutputStream()));
            } finally {
                spark.stop();
            }
            RunState state = new RunStore(Storage.withDefaults(), run.out()).latest().orElseThrow();
            seconds[i] = state.history().get(1).jobSeconds();
            System.out.printf(Locale.ROOT, "%-9s generation 2: %d tasks, Spark job %.1f s%n", masters[i], 8 * 4, seconds[i]);
        }
        System.out.printf(Locale.ROOT, "speedup local[1] -> local[2]: %.2fx (goal >= 1.7)%n", seconds[1] / seconds[0]);
        dev.evomerge.io.AtomicDirectory.deleteRecursively(tmp);
    }
}
