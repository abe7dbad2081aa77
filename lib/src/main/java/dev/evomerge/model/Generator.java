package dev.evomerge.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Batched greedy decoding with a KV cache: prompts are left-padded so every sequence's next
 * token comes from the last column, the prefill runs the whole block once, then each step feeds
 * one token per sequence. A sequence stops at an end-of-sequence token, at the first of the stop
 * strings its text contains (the text is cut there), or after {@code maxNewTokens}. Greedy and
 * position-exact, so the same prompts give the same outputs on every run and in every batching.
 */
public final class Generator {
    private final CausalLm model;
    private final Tokenizer tokenizer;

    /** {@code tokenizer} may be null for ids only: then a Result has no text and stop strings cannot be used. */
    public Generator(CausalLm model, Tokenizer tokenizer) {
        this.model = model;
        this.tokenizer = tokenizer;
    }

    public record Options(int maxNewTokens, List<String> stopStrings, boolean stopAtEos) {
        public Options {
            if (maxNewTokens < 0) {
                throw new IllegalArgumentException("max_new_tokens must be >= 0, got " + maxNewTokens);
            }
            stopStrings = List.copyOf(stopStrings);
        }

        public static Options greedy(int maxNewTokens) {
            return new Options(maxNewTokens, List.of(), true);
        }
    }

    public enum Finish { EOS, STOP_STRING, LENGTH }

    /** The generated tokens (without the EOS), their text (cut before a stop string), and why it ended. */
    public record Result(long[] tokens, String text, Finish finish) {
    }

    public List<Result> generateText(List<String> prompts, Options options) {
        return generate(prompts.stream().map(tokenizer::encode).toList(), options);
    }

    public List<Result> generate(List<long[]> prompts, Options options) {
        return generate(prompts, options, null);
    }

    /**
     * The embeddings [B, T, D] a batch of left-padded prompts enters the model as: how a
     * vision-language model puts an image's features in its image tokens' places.
     */
    @FunctionalInterface
    public interface PromptEmbeddings {
        NDArray of(NDManager m, long[][] paddedIds);
    }

    /** As {@link #generate(List, Options)}, the prompts entering as {@code embeddings} gives them (null: as their tokens). */
    public List<Result> generate(List<long[]> prompts, Options options, PromptEmbeddings embeddings) {
        int b = prompts.size();
        if (b == 0) {
            return List.of();
        }
        for (long[] p : prompts) {
            if (p.length == 0) {
                throw new IllegalArgumentException("an empty prompt has no last token to continue from");
            }
        }
        List<Long> eos = model.config().eosTokenIds().stream().map(Integer::longValue).toList();
        TokenBatch batch = TokenBatch.pad(prompts, true, prompts.get(0)[0]);
        int room = model.config().slidingWindow() != null ? Integer.MAX_VALUE
                : model.config().maxPositionEmbeddings() - batch.width();
        if (room < 1) {
            throw new IllegalArgumentException("a prompt of " + batch.width() + " tokens leaves no room under max_position_embeddings "
                    + model.config().maxPositionEmbeddings());
        }
        // The batch stops where the longest prompt reaches max_position_embeddings (finish LENGTH).
        options = new Options(Math.min(options.maxNewTokens(), room), options.stopStrings(), options.stopAtEos());
        List<List<Long>> generated = new ArrayList<>();
        Result[] results = new Result[b];
        for (int i = 0; i < b; i++) {
            generated.add(new ArrayList<>());
        }
        try (NDManager m = model.manager().newSubManager();
             CausalLm.State cache = model.newState(m, b,
                     (long) batch.width() + options.maxNewTokens())) {
            long[] next = embeddings == null ? step(m, cache, batch.ids(), batch.mask())
                    : argMax(model.forwardEmbeddings(embeddings.of(m, batch.ids()), Transformer.longs(m, batch.mask()), cache, true));
            for (int n = 0; n < options.maxNewTokens(); n++) {
                for (int i = 0; i < b; i++) {
                    if (results[i] == null) {
                        results[i] = accept(generated.get(i), next[i], eos, options);
                    }
                }
                if (Arrays.stream(results).allMatch(r -> r != null) || n == options.maxNewTokens() - 1) {
                    break;
                }
                long[][] column = new long[b][1];
                long[][] ones = new long[b][1];
                for (int i = 0; i < b; i++) {
                    column[i][0] = next[i]; // finished sequences keep running; their outputs are ignored
                    ones[i][0] = 1;
                }
                next = step(m, cache, column, ones);
            }
        }
        for (int i = 0; i < b; i++) {
            if (results[i] == null) {
                long[] ids = toArray(generated.get(i));
                results[i] = new Result(ids, decode(ids), Finish.LENGTH);
            }
        }
        return List.of(results);
    }

    /** Adds {@code token} to a sequence's output; a Result when that ends the sequence, else null. */
    private Result accept(List<Long> out, long token, List<Long> eos, Options options) {
        if (options.stopAtEos() && eos.contains(token)) {
            long[] ids = toArray(out);
            return new Result(ids, decode(ids), Finish.EOS);
        }
        out.add(token);
        if (!options.stopStrings().isEmpty()) {
            long[] ids = toArray(out);
            String text = decode(ids);
            int cut = -1;
            for (String stop : options.stopStrings()) {
                int at = text.indexOf(stop);
                if (at >= 0 && (cut < 0 || at < cut)) {
                    cut = at;
                }
            }
            if (cut >= 0) {
                return new Result(ids, text.substring(0, cut), Finish.STOP_STRING);
            }
        }
        return null;
    }

    /** One forward of [B, T] tokens; the argmax of each sequence's last logits. */
    private long[] step(NDManager m, CausalLm.State cache, long[][] ids, long[][] mask) {
        try (NDScope ignored = new NDScope()) {
            return argMax(model.forward(model.tokens(m, ids), Transformer.longs(m, mask), cache, true));
        }
    }

    private static long[] argMax(NDArray lastLogits) {
        return lastLogits.argMax(-1).toLongArray(); // [B, 1] -> B
    }

    /** The text of generated ids; none without a tokenizer (token ids only, no stop strings). */
    private String decode(long[] ids) {
        return tokenizer == null ? null : tokenizer.decode(ids);
    }

    private static long[] toArray(List<Long> xs) {
        return xs.stream().mapToLong(Long::longValue).toArray();
    }
}
