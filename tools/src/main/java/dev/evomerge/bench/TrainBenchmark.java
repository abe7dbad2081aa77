package dev.evomerge.bench;

import ai.djl.ndarray.NDManager;
import dev.evomerge.io.ModelConfig;
import dev.evomerge.model.Djl;
import dev.evomerge.train.TrainConfig;
import dev.evomerge.train.Trainer;
import dev.evomerge.world.MiniWorld;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * {@code scripts/bench train [STEPS]}: training throughput of the mini world's own runs
 * (conf/mini-world.yaml: the base's pre-training and the EN math fine-tune, each cut to STEPS
 * steps, written to a temporary folder), in tokens/s and as a fraction of the machine's matmul
 * peak measured in the same run (issue 16's goal: >= 30%). The arithmetic a step does is counted
 * as Kaplan et al. do: 6 FLOPs per weight of every matrix per token (forward 2, backward 4),
 * padding included (the machine computes it), plus attention's 12 x layers x width x padded length
 * per token; the embedding lookup is free.
 */
public final class TrainBenchmark {
    static {
        Djl.init();
    }

    private TrainBenchmark() {
    }

    public static void main(String[] argv) throws Exception {
        int steps = argv.length > 0 ? Integer.parseInt(argv[0]) : 60;
        Path root = Path.of(System.getProperty("evomerge.root", "."));
        MiniWorld.Settings world = MiniWorld.read(root.resolve("conf/mini-world.yaml"));
        double peak;
        try (NDManager m = NDManager.newBaseManager()) {
            peak = InferenceBenchmark.matmulPeak(m);
        }
        System.out.printf(Locale.ROOT, "matmul peak (best of [2048,512]x[512,{512,1024,8192}]): %.1f GFLOP/s%n", peak / 1e9);
        Path tmp = Files.createTempDirectory("evomerge-train-bench");
        PrintStream quiet = new PrintStream(java.io.OutputStream.nullOutputStream());
        for (TrainConfig stage : new TrainConfig[] {world.training().get(0), world.training().get(2)}) {
            TrainConfig cut = stage.withSteps(tmp.resolve(stage.out().getFileName()), steps);
            Trainer.Result r = Trainer.train(cut, quiet);
            ModelConfig c = ModelConfig.read(cut.out().resolve("config.json"));
            long matrixWeights = r.parameters() - (long) c.vocabSize() * c.hiddenSize() // the embedding is a lookup
                    - (2L * c.numHiddenLayers() + 1) * c.hiddenSize(); // norms are elementwise
            double paddedLength = (double) r.paddedTokens() / ((long) steps * stage.training().batchSize());
            double flopsPerToken = 6.0 * matrixWeights + 12.0 * c.numHiddenLayers() * c.hiddenSize() * paddedLength;
            double flops = flopsPerToken * r.paddedTokens() / r.seconds();
            System.out.printf(Locale.ROOT, "%-10s %,d parameters, %d steps of %d x %.0f (padded mean): %.0f tokens/s "
                            + "(%.0f with padding), %.2f GFLOP/s = %.0f%% of matmul peak (goal >= 30%%)%n",
                    stage.out().getFileName(), r.parameters(), steps, stage.training().batchSize(), paddedLength, r.tokensPerSecond(),
                    r.paddedTokens() / r.seconds(), flops / 1e9, 100 * flops / peak);
        }
        dev.evomerge.io.AtomicDirectory.deleteRecursively(tmp);
    }
}
