package dev.evomerge.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.IntStream;

/**
 * Teacher-forced negative log-likelihood of continuations given prefixes, batched: the cheap
 * fitness. For each item, the loss of token t is -log p(token_t | tokens before t), summed over
 * the continuation's tokens. A sequence longer than the model's {@code max_position_embeddings}
 * is cut there and only its first tokens are scored (the score says how many). Items are
 * batched by length (right-padded) and returned in the order given.
 */
public final class Likelihood {
    private final CausalLm model;
    private final int batchSize;

    public Likelihood(CausalLm model, int batchSize) {
        if (batchSize < 1) {
            throw new IllegalArgumentException("batch size must be >= 1, got " + batchSize);
        }
        this.model = model;
        this.batchSize = batchSize;
    }

    /** A prefix (at least one token, e.g. BOS) and the continuation whose tokens are scored. */
    public record Item(long[] prefix, long[] continuation) {
        public Item {
            if (prefix.length == 0) {
                throw new IllegalArgumentException("the prefix needs at least one token (BOS) to predict from");
            }
        }

        /** Every token of {@code text} scored, predicted from BOS on. */
        public static Item wholeText(Tokenizer tok, String text) {
            if (tok.bosId() == null) {
                throw new IllegalArgumentException("scoring a whole text needs a tokenizer with a BOS token");
            }
            return new Item(new long[] {tok.bosId()}, tok.encode(text, false));
        }
    }

    /** Summed loss in nats over {@code tokens} scored tokens. */
    public record Score(double loss, int tokens) {
        public double meanLoss() {
            return loss / tokens;
        }
    }

    public List<Score> score(List<Item> items) {
        return score(items, null);
    }

    /**
     * The embeddings [B, T, D] a batch of (right-padded) sequences enters the model as, given which
     * items (indices into the list scored) they are: how a VLM puts each item's image in its tokens.
     */
    @FunctionalInterface
    public interface BatchEmbeddings {
        NDArray of(NDManager m, long[][] paddedIds, List<Integer> items);
    }

    /** As {@link #score(List)}, the sequences entering as {@code embeddings} gives them (null: as their tokens). */
    public List<Score> score(List<Item> items, BatchEmbeddings embeddings) {
        Integer[] byLength = IntStream.range(0, items.size()).boxed().toArray(Integer[]::new);
        java.util.Arrays.sort(byLength, Comparator.comparingInt(i -> items.get(i).prefix().length
                + items.get(i).continuation().length));
        Score[] scores = new Score[items.size()];
        for (int start = 0; start < byLength.length; start += batchSize) {
            List<Integer> chunk = List.of(byLength).subList(start, Math.min(byLength.length, start + batchSize));
            List<Score> batchScores = scoreBatch(chunk.stream().map(items::get).toList(), embeddings == null ? null
                    : (m, ids) -> embeddings.of(m, ids, chunk));
            for (int j = 0; j < chunk.size(); j++) {
                scores[chunk.get(j)] = batchScores.get(j);
            }
        }
        return List.of(scores);
    }

    private List<Score> scoreBatch(List<Item> batch, Generator.PromptEmbeddings embeddings) {
        List<long[]> sequences = new ArrayList<>();
        int maxPositions = model.config().maxPositionEmbeddings();
        for (Item it : batch) {
            long[] s = new long[it.prefix().length + it.continuation().length];
            System.arraycopy(it.prefix(), 0, s, 0, it.prefix().length);
            System.arraycopy(it.continuation(), 0, s, it.prefix().length, it.continuation().length);
            sequences.add(s.length > maxPositions ? java.util.Arrays.copyOf(s, maxPositions) : s);
        }
        TokenBatch tb = TokenBatch.pad(sequences, false, sequences.get(0)[0]);
        int b = batch.size();
        int t = tb.width();
        // targets[i][j] is the token logits at j predict; weight 1 where that token is in the continuation
        long[][] targets = new long[b][Math.max(t - 1, 0)];
        float[] weights = new float[b * Math.max(t - 1, 0)];
        int[] counts = new int[b];
        for (int i = 0; i < b; i++) {
            long[] s = sequences.get(i);
            int prefix = batch.get(i).prefix().length;
            for (int j = 0; j + 1 < t; j++) {
                targets[i][j] = j + 1 < s.length ? s[j + 1] : 0;
                if (j + 1 >= prefix && j + 1 < s.length) {
                    weights[i * (t - 1) + j] = 1;
                    counts[i]++;
                }
            }
        }
        if (t < 2) {
            return batch.stream().map(x -> new Score(0, 0)).toList();
        }
        try (NDManager m = model.manager().newSubManager();
             CausalLm.State cache = model.newState(m, b, t);
             NDScope ignored = new NDScope()) {
            NDArray logits = embeddings == null ? model.forward(model.tokens(m, tb.ids()), Transformer.longs(m, tb.mask()), cache, false)
                    : model.forwardEmbeddings(embeddings.of(m, tb.ids()), Transformer.longs(m, tb.mask()), cache, false);
            NDArray logp = logits.get(":, :-1, :").toType(DataType.FLOAT32, false).logSoftmax(-1); // [B, T-1, V]
            NDArray picked = logp.gather(Transformer.longs(m, targets).expandDims(-1), -1).squeeze(-1); // [B, T-1]
            NDArray w = m.create(weights, new ai.djl.ndarray.types.Shape(b, t - 1));
            double[] losses = picked.mul(w).sum(new int[] {1}).neg().toType(DataType.FLOAT64, false).toDoubleArray();
            List<Score> out = new ArrayList<>();
            for (int i = 0; i < b; i++) {
                out.add(new Score(losses[i], counts[i]));
            }
            return out;
        }
    }
}
