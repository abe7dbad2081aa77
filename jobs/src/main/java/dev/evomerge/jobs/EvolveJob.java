package dev.evomerge.jobs;

import dev.evomerge.driver.DryRun;
import dev.evomerge.driver.Evolution;
import dev.evomerge.driver.RunConfig;
import dev.evomerge.io.CheckpointCache;
import dev.evomerge.io.Locations;
import dev.evomerge.io.Storage;
import java.io.PrintStream;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;

/**
 * The evolve job: evolutionary parameter-space merging, one Spark job per generation.
 *
 * <pre>
 * spark-submit --class dev.evomerge.jobs.EvolveJob evomerge-jobs-all.jar CONFIG.yaml [--out DIR] [--dry-run]
 * </pre>
 * Without CONFIG it runs the embedded default, {@code conf/evolve-stories.yaml}. CONFIG may be
 * any Hadoop path; the paths inside it are taken from its folder. Rerunning the same command on
 * the same output directory resumes after the last completed generation.
 */
public final class EvolveJob {
    public static final String DEFAULT_CONFIG = "conf/evolve-stories.yaml";
    private static final String USAGE = "usage: evolve [CONFIG.yaml] [--out DIR] [--dry-run]   (no CONFIG: " + DEFAULT_CONFIG + ")";

    private EvolveJob() {
    }

    public static void main(String[] args) {
        String config = DEFAULT_CONFIG;
        String out = null;
        boolean dryRun = false;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--dry-run" -> dryRun = true;
                case "--help", "-h" -> {
                    System.out.println(USAGE);
                    return;
                }
                case "--out" -> {
                    if (i + 1 >= args.length) {
                        usage("--out needs a directory");
                    }
                    out = args[++i];
                }
                default -> {
                    if (args[i].startsWith("-") || i > 0 && !config.equals(DEFAULT_CONFIG)) {
                        usage("unexpected argument '" + args[i] + "'");
                    }
                    config = args[i];
                }
            }
        }
        try {
            Storage storage = HadoopSettings.beforeSession();
            RunConfig run = RunConfig.parse(config, readText(storage, config));
            if (out != null) {
                run = run.withOut(out);
            }
            if (dryRun) {
                System.out.print(DryRun.plan(run, storage, SparkSessions.masterOf(run.sparkMaster())));
                return;
            }
            try (SparkSession spark = SparkSessions.getOrCreate("evomerge evolve " + run.runId(), run.sparkMaster(), run.sparkConf())) {
                run(spark, run, System.out);
            }
        } catch (RuntimeException e) {
            System.err.println("error: " + String.valueOf(e.getMessage()).lines().findFirst().orElse(e.toString()));
            System.exit(1);
        }
    }

    /** Runs (or resumes, or reports as complete) the run; returns how it ended. */
    public static Evolution.Outcome run(SparkSession spark, RunConfig run, PrintStream out) {
        return run(spark, run, out, Evolution.QUIET, SparkShardRunner.NONE);
    }

    /** The same, telling {@code listener} of each generation and running {@code hook} in each task (tests inject faults so). */
    static Evolution.Outcome run(SparkSession spark, RunConfig run, PrintStream out, Evolution.Listener listener,
                                 SparkShardRunner.TaskHook hook) {
        JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        Storage storage = HadoopSettings.driver(spark);
        return new Evolution(run, storage, new CheckpointCache(storage, CheckpointCache.defaultRoot()),
                new SparkShardRunner(sc, run.workerSpec(), hook), new ParquetResults(spark, run, storage), out, listener).run();
    }

    private static void usage(String problem) {
        System.err.println("error: " + problem + "\n" + USAGE);
        System.exit(2);
    }

    public static String readText(Storage storage, String location) {
        try {
            return storage.readString(Locations.absolute(location));
        } catch (java.io.UncheckedIOException e) {
            throw new IllegalArgumentException(location + ": cannot read run config: " + e.getCause().getMessage());
        }
    }
}
