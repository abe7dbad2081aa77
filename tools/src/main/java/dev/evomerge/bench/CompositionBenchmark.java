package dev.evomerge.bench;

import ai.djl.Device;
import dev.evomerge.io.Checkpoint;
import dev.evomerge.model.CausalLm;
import dev.evomerge.model.Composition;
import dev.evomerge.model.Generator;
import dev.evomerge.model.Likelihood;
import dev.evomerge.model.Tokenizer;
import dev.evomerge.model.Transformer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * {@code scripts/bench compose}: what a composition (CALM) costs at inference against its anchor
 * alone, measured in the same run on the mini world's models (EN math reading JA general after
 * every 2nd layer): a greedy generation's time per new token (a batch of 8, 32 tokens each) and
 * scoring's time per token (16 sequences, teacher-forced). Both models run for every token, plus
 * the cross-attentions: about twice the anchor's cost for parents of the same size.
 */
public final class CompositionBenchmark {
    private CompositionBenchmark() {
    }

    public static void main(String[] args) {
        Path root = Path.of(System.getProperty("evomerge.root", "."));
        try (Checkpoint a = Checkpoint.open(root.resolve("models/mini-world/en-math"));
             Checkpoint b = Checkpoint.open(root.resolve("models/mini-world/ja-general"));
             Transformer anchor = Transformer.load(a, Device.cpu()); Transformer augmenting = Transformer.load(b, Device.cpu());
             Tokenizer tokenizer = Tokenizer.load(a.dir(), a.config());
             Composition composed = Composition.create(anchor, augmenting, Composition.everyKth(4, 4, 2), 4, 1)) {
            List<long[]> prompts = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                prompts.add(tokenizer.encode("テーブルにさかなが" + (i + 3) + "匹あります。さくらが2匹とりました。さかなは何匹のこっていますか？"));
            }
            List<Likelihood.Item> sequences = new ArrayList<>();
            for (int i = 0; i < 16; i++) {
                long[] p = tokenizer.encode("はるとは毎日みかんを" + (i + 2) + "個買います。5日間買いました。みかんは全部で何個ですか？ 答えは10です。");
                sequences.add(new Likelihood.Item(new long[] {p[0]}, java.util.Arrays.copyOfRange(p, 1, p.length)));
            }
            long scored = sequences.stream().mapToLong(s -> s.continuation().length).sum();
            double[] decode = new double[2];
            double[] prefill = new double[2];
            CausalLm[] models = {anchor, composed};
            for (int round = 0; round < 2; round++) { // the first round warms up
                for (int k = 0; k < 2; k++) {
                    long t0 = System.nanoTime();
                    new Generator(models[k], tokenizer).generate(prompts, new Generator.Options(32, List.of(), false));
                    decode[k] = (System.nanoTime() - t0) / 1e6 / (8 * 32);
                    t0 = System.nanoTime();
                    new Likelihood(models[k], 16).score(sequences);
                    prefill[k] = (System.nanoTime() - t0) / 1e6 / scored;
                }
            }
            System.out.printf(Locale.ROOT, "composition: %,d new parameters (%d cross-attentions), anchor %,d, augmenting %,d%n",
                    composed.parameters().stream().mapToLong(p -> p.size()).sum(), composed.pairs().size(), a.parameterCount(),
                    b.parameterCount());
            System.out.printf(Locale.ROOT, "generation (batch 8): anchor %.3f ms per new token, composition %.3f ms = %.2fx%n",
                    decode[0], decode[1], decode[1] / decode[0]);
            System.out.printf(Locale.ROOT, "scoring (16 sequences): anchor %.4f ms per token, composition %.4f ms = %.2fx%n",
                    prefill[0], prefill[1], prefill[1] / prefill[0]);
        }
    }
}
