package dev.evomerge.bench;

import dev.evomerge.driver.DryRun;
import dev.evomerge.driver.Evolution;
import dev.evomerge.driver.Genome;
import dev.evomerge.driver.RunConfig;
import dev.evomerge.executor.CandidateSpec;
import dev.evomerge.executor.EvalTask;
import dev.evomerge.executor.ShardResult;
import dev.evomerge.executor.Worker;
import dev.evomerge.io.CheckpointCache;
import dev.evomerge.io.DType;
import dev.evomerge.io.ShardedWriter;
import dev.evomerge.io.Storage;
import dev.evomerge.io.TensorBytes;
import dev.evomerge.io.TensorSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * {@code scripts/bench rehearsal [DIR]}: the 1B-scale rehearsal (issue 22). Makes (once, in DIR,
 * default $TMPDIR/evomerge-1b) a synthetic family in the shape of a real 1.1B Llama (hidden 2048,
 * 22 layers, 32 heads over 4 KV heads, MLP 5632, vocab 32000, untied head; bfloat16, sharded at 1
 * GB with an index as the Hub publishes them; the Mistral tokenizer): a base and three
 * fine-tune-shaped variants (base + seeded deltas). Then, each step as its own process under
 * {@code /usr/bin/time -v}: the dry run (its memory plan is the estimate), {@code scripts/merge}
 * (dare_ties, three models over the base) against this machine's copy bandwidth, and a worker that
 * builds two candidates from resident parents and scores one evaluation batch each.
 */
public final class RehearsalBenchmark {
    /** A Llama's shape: the widths a synthetic family is written in. */
    record LlamaShape(int hidden, int layers, int heads, int kvHeads, int mlp, int vocab) {
        long parameters() {
            return shapes(this).values().stream().mapToLong(dev.evomerge.io.TensorInfo::numel).sum();
        }
    }

    /** TinyLlama-1.1B's shape. */
    static final LlamaShape ONE_B = new LlamaShape(2048, 22, 32, 4, 5632, 32000);

    private RehearsalBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length > 0 && args[0].equals("worker")) {
            worker(Path.of(args[1]));
            return;
        }
        Path root = (args.length > 0 ? Path.of(args[0]) : Path.of(System.getProperty("java.io.tmpdir"))).resolve("evomerge-1b");
        long t0 = System.nanoTime();
        long bytes = family(root, ONE_B);
        System.out.printf(Locale.ROOT, "family: 4 checkpoints of %.2f GB (bf16, sharded) in %s (%.0f s to make, 0 if reused)%n",
                bytes / 4 / 1e9, root, (System.nanoTime() - t0) / 1e9);
        Path config = root.resolve("rehearsal.yaml");
        Files.writeString(config, """
                run_id: rehearsal-1b
                out: runs/rehearsal
                merge:
                  method: dare_ties
                  base_model: base
                  models: [a, b, c]
                genome: {layer_granularity: 11}
                optimizer: {population: 4, generations: 1, seed: 1}
                fitness:
                  batch_size: 8
                  tasks: [{name: en, task: likelihood, data: %s, split: "range:0:8"}]
                device: cpu
                """.formatted(Path.of(System.getProperty("evomerge.root", ".")).toAbsolutePath().resolve("data/mgsm/mgsm_en.tsv")));
        String plan = DryRun.plan(RunConfig.read(config), Storage.withDefaults());
        plan.lines().filter(l -> l.startsWith("memory per executor") || l.startsWith("time") || l.startsWith("  build a candidate")
                || l.startsWith("  score a candidate")).forEach(l -> System.out.println("dry run: " + l));

        double copy = new MergeBenchmark.CopyBaseline().best();
        String[] merge = MergeBenchmark.timedMerge(root, "dare_ties", List.of("a", "b", "c"), "weight: 0.33, density: 0.5", "-Xmx6g");
        double seconds = wallSeconds(merge[0]);
        System.out.printf(Locale.ROOT, "scripts/merge dare_ties, 3 models over the base (%.2f GB in): %s | %s%n", bytes / 1e9, merge[0], merge[1]);
        System.out.printf(Locale.ROOT, "  whole process %.2f GB/s of input = %.0f%% of this machine's copy bandwidth (%.2f GB/s, one thread)%n",
                bytes / seconds / 1e9, 100 * bytes / seconds / copy, copy / 1e9);
        dev.evomerge.io.AtomicDirectory.deleteRecursively(root.resolve("out"));

        String cp = System.getProperty("java.class.path");
        Process p = new ProcessBuilder("/usr/bin/time", "-v", "java", "-Xmx4g", "-Dai.djl.offline=true",
                "--add-modules=jdk.incubator.vector", "-cp", cp, RehearsalBenchmark.class.getName(), "worker", config.toString())
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        if (p.waitFor() != 0) {
            throw new IllegalStateException("worker failed:\n" + out);
        }
        out.lines().filter(l -> l.startsWith("candidate") || l.contains("Elapsed (wall clock)") || l.contains("Maximum resident"))
                .forEach(l -> System.out.println("worker: " + l.strip()));
    }

    /** A worker as an executor runs it: two candidates (the search's start, then another) built from resident parents, one batch each. */
    private static void worker(Path config) {
        RunConfig run = RunConfig.read(config);
        Storage storage = Storage.withDefaults();
        Genome genome = Evolution.genome(run, storage);
        Worker worker = new Worker(run.workerSpec(), storage, new CheckpointCache(storage, config.getParent().resolve("cache")));
        double[] x = genome.initial();
        for (int c = 0; c < 2; c++) {
            if (c == 1) {
                for (int i = 0; i < x.length; i++) {
                    x[i] = 0.3 + 0.4 * ((i * 5) % 7) / 6.0; // another candidate: every tensor merged again
                }
            }
            long t0 = System.nanoTime();
            ShardResult r = worker.run(new EvalTask(1, c, 0, new CandidateSpec("candidate " + c, genome.decode(x)), false));
            if (r.error() != null) {
                throw new IllegalStateException(r.error());
            }
            System.out.printf(Locale.ROOT, "candidate %d: build %.1f s, one batch of %d items %.1f s (%d tokens), parents opened %d, total %.1f s%n",
                    c, r.buildSeconds(), r.perTask().get(0).items(), r.evalSeconds(), r.perTask().get(0).tokens(), r.parentLoads(),
                    (System.nanoTime() - t0) / 1e9);
        }
    }

    private static double wallSeconds(String timeLine) {
        String v = timeLine.substring(timeLine.lastIndexOf(' ') + 1);
        String[] parts = v.split(":");
        double s = 0;
        for (String part : parts) {
            s = s * 60 + Double.parseDouble(part);
        }
        return s;
    }

    /** The four checkpoints, made once (a checkpoint already written, sharded or not, is reused); returns their weight bytes. */
    static long family(Path root, LlamaShape shape) throws IOException {
        Map<String, long[]> shapes = shapes(shape);
        long perModel = shapes.values().stream().mapToLong(s -> dev.evomerge.io.TensorInfo.numel(s) * 2).sum();
        String[] names = {"base", "a", "b", "c"};
        for (int m = 0; m < names.length; m++) {
            Path dir = root.resolve(names[m]);
            if (Files.exists(dir.resolve("model.safetensors.index.json")) || Files.exists(dir.resolve("model.safetensors"))) {
                continue;
            }
            Files.createDirectories(dir);
            writeConfig(dir, shape);
            Path tok = Path.of(System.getProperty("evomerge.root", ".")).toAbsolutePath().resolve("data/tokenizers/mistral-7b-v0.1");
            for (String f : List.of("tokenizer.json", "tokenizer_config.json")) {
                Files.copy(tok.resolve(f), dir.resolve(f), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            }
            List<TensorSpec> specs = new ArrayList<>();
            shapes.forEach((name, dims) -> specs.add(new TensorSpec(name, DType.BF16, dims)));
            try (ShardedWriter w = new ShardedWriter(dir, specs, 1L << 30)) {
                int k = 0;
                for (TensorSpec t : specs) {
                    boolean norm = t.name().endsWith("norm.weight");
                    SplittableRandom base = new SplittableRandom(1000 + k);
                    SplittableRandom delta = new SplittableRandom(2000 + 100L * m + k++);
                    float[] v = new float[(int) t.numel()];
                    for (int i = 0; i < v.length; i++) {
                        double b = norm ? 1 + 0.01 * base.nextGaussian() : 0.02 * base.nextGaussian();
                        v[i] = (float) (m == 0 ? b : b + 0.002 * delta.nextGaussian()); // a fine-tune: the base plus a small delta
                    }
                    w.write(t.name(), TensorBytes.fromFloats(v, DType.BF16));
                }
                w.finish();
            }
        }
        return 4 * perModel;
    }

    private static Map<String, long[]> shapes(LlamaShape shape) {
        int hidden = shape.hidden();
        int hd = hidden / shape.heads();
        Map<String, long[]> s = new LinkedHashMap<>();
        s.put("model.embed_tokens.weight", new long[] {shape.vocab(), hidden});
        for (int i = 0; i < shape.layers(); i++) {
            String p = "model.layers." + i + ".";
            s.put(p + "input_layernorm.weight", new long[] {hidden});
            s.put(p + "self_attn.q_proj.weight", new long[] {hidden, hidden});
            s.put(p + "self_attn.k_proj.weight", new long[] {(long) shape.kvHeads() * hd, hidden});
            s.put(p + "self_attn.v_proj.weight", new long[] {(long) shape.kvHeads() * hd, hidden});
            s.put(p + "self_attn.o_proj.weight", new long[] {hidden, hidden});
            s.put(p + "post_attention_layernorm.weight", new long[] {hidden});
            s.put(p + "mlp.gate_proj.weight", new long[] {shape.mlp(), hidden});
            s.put(p + "mlp.up_proj.weight", new long[] {shape.mlp(), hidden});
            s.put(p + "mlp.down_proj.weight", new long[] {hidden, shape.mlp()});
        }
        s.put("model.norm.weight", new long[] {hidden});
        s.put("lm_head.weight", new long[] {shape.vocab(), hidden});
        return s;
    }

    private static void writeConfig(Path dir, LlamaShape shape) throws IOException {
        Files.writeString(dir.resolve("config.json"), """
                {
                  "architectures": ["LlamaForCausalLM"],
                  "model_type": "llama",
                  "hidden_size": %d,
                  "intermediate_size": %d,
                  "num_hidden_layers": %d,
                  "num_attention_heads": %d,
                  "num_key_value_heads": %d,
                  "vocab_size": %d,
                  "max_position_embeddings": 2048,
                  "rms_norm_eps": 1e-05,
                  "rope_theta": 10000.0,
                  "tie_word_embeddings": false,
                  "bos_token_id": 1,
                  "eos_token_id": 2,
                  "torch_dtype": "bfloat16"
                }
                """.formatted(shape.hidden(), shape.mlp(), shape.layers(), shape.heads(), shape.kvHeads(), shape.vocab()));
    }
}
