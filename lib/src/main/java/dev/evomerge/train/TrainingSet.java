package dev.evomerge.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.evomerge.eval.DatasetException;
import dev.evomerge.eval.Datasets;
import dev.evomerge.eval.EvalItem;
import dev.evomerge.eval.VqaTask;
import dev.evomerge.io.Storage;
import dev.evomerge.eval.MgsmTask;
import dev.evomerge.model.Tokenizer;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A training file as token sequences, each with the positions the loss counts, and the batches
 * drawn from it. A line of plain text ({@code text}) is BOS + text + EOS, every token a target.
 * A question/answer line is the prompt exactly as evaluation forms it ({@code template}, or the
 * line's own {@code template} field, with the question, BOS first) followed by the answer and EOS, and only the answer and EOS are targets:
 * the model learns to answer, and to stop, from the very prompt it will be asked with.
 */
public final class TrainingSet {
    /**
     * One example: its token ids, for each id whether predicting it counts in the loss, and the
     * image its prompt's image tokens stand for (encoded, as the VQA set holds it; null for text).
     */
    public record Sequence(long[] ids, boolean[] target, byte[] image) {
        public Sequence(long[] ids, boolean[] target) {
            this(ids, target, null);
        }
    }

    /**
     * A batch: ids [B, T] right-padded, the loss weight of predicting each position's token from
     * the one before, and each row's image (null for text).
     */
    public record Batch(long[][] ids, float[][] weights, long realTokens, List<byte[]> images) {
    }

    private final List<Sequence> sequences;
    private final int truncated;

    private TrainingSet(List<Sequence> sequences, int truncated) {
        this.sequences = sequences;
        this.truncated = truncated;
    }

    public static TrainingSet read(Path file, Tokenizer tokenizer, String template, int maxLength, long eosId) {
        String prompts = template == null ? null : MgsmTask.template(template);
        List<Sequence> out = new ArrayList<>();
        int truncated = 0;
        ObjectMapper json = new ObjectMapper();
        try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String line;
            int n = 0;
            while ((line = r.readLine()) != null) {
                n++;
                if (line.isBlank()) {
                    continue;
                }
                JsonNode row = json.readTree(line);
                Sequence s;
                if (prompts == null) {
                    s = sequence(tokenizer.encode(field(file, n, row, "text")), new long[0], eosId, false);
                } else {
                    String question = field(file, n, row, "question");
                    // a line may name its own template (a mix of English and Japanese instructions)
                    String own = row.hasNonNull("template") ? template(file, n, field(file, n, row, "template")) : prompts;
                    long[] prompt = tokenizer.encode(own.replace("{input}", question));
                    s = sequence(prompt, tokenizer.encode(field(file, n, row, "answer"), false), eosId, true);
                }
                if (s.ids().length > maxLength) {
                    truncated++;
                    s = new Sequence(java.util.Arrays.copyOf(s.ids(), maxLength), java.util.Arrays.copyOf(s.target(), maxLength));
                }
                out.add(s);
            }
        } catch (IOException e) {
            throw new DatasetException(file.toString(), "cannot read: " + e.getMessage());
        }
        if (out.isEmpty()) {
            throw new DatasetException(file.toString(), "no examples");
        }
        return new TrainingSet(out, truncated);
    }

    /**
     * A VQA set (any format {@link Datasets} reads: question, answer, image) as training examples
     * for a vision-language model: the prompt exactly as {@code task} forms it for evaluation (or
     * as the template a JSONL line names in its own {@code template} field: a mix of English and
     * Japanese instructions), its image as {@code imageTokens} copies of {@code imageToken}, then
     * the answer and EOS, which alone are targets.
     */
    public static TrainingSet readVqa(Storage storage, String location, Tokenizer tokenizer, VqaTask task, long imageToken,
                                      int imageTokens, int maxLength, long eosId) {
        List<Sequence> out = new ArrayList<>();
        Datasets.ItemsWithField set = Datasets.readWithField(storage, location, "template");
        List<String> templates = set.values();
        java.util.Map<String, VqaTask> tasks = new java.util.HashMap<>();
        for (EvalItem item : set.items()) {
            if (item.image() == null) {
                throw new DatasetException(location, "item " + (item.index() + 1) + ": no image (a VLM trains on a VQA set)");
            }
            String own = item.index() < templates.size() ? templates.get(item.index()) : null;
            VqaTask asked = own == null ? task : tasks.computeIfAbsent(own, name -> {
                try {
                    return VqaTask.of(name, task.maxNewTokens());
                } catch (IllegalArgumentException e) {
                    throw new DatasetException(location, "item " + (item.index() + 1) + ": field 'template': " + e.getMessage());
                }
            });
            Sequence s = sequence(asked.promptIds(tokenizer, item, imageToken, imageTokens),
                    tokenizer.encode(item.answerText(), false), eosId, true);
            if (s.ids().length > maxLength) {
                throw new DatasetException(location, "item " + (item.index() + 1) + ": " + s.ids().length
                        + " tokens with the image's, more than max_length " + maxLength + " (cutting it would cut the answer)");
            }
            out.add(new Sequence(s.ids(), s.target(), item.image()));
        }
        if (out.isEmpty()) {
            throw new DatasetException(location, "no examples");
        }
        return new TrainingSet(out, 0);
    }

    private static String template(Path file, int line, String name) {
        try {
            return MgsmTask.template(name);
        } catch (IllegalArgumentException e) {
            throw new DatasetException(file.toString(), "line " + line + ": field 'template': " + e.getMessage());
        }
    }

    private static String field(Path file, int line, JsonNode row, String name) {
        JsonNode v = row.get(name);
        if (v == null || !v.isTextual()) {
            throw new DatasetException(file.toString(), "line " + line + ": field '" + name + "' missing or not a string");
        }
        return v.asText();
    }

    /** {@code head} then {@code answer} then EOS; the targets are everything after BOS, or the answer and EOS only. */
    static Sequence sequence(long[] head, long[] answer, long eosId, boolean answerOnly) {
        long[] ids = new long[head.length + answer.length + 1];
        System.arraycopy(head, 0, ids, 0, head.length);
        System.arraycopy(answer, 0, ids, head.length, answer.length);
        ids[ids.length - 1] = eosId;
        boolean[] target = new boolean[ids.length];
        for (int i = answerOnly ? head.length : 1; i < ids.length; i++) {
            target[i] = true;
        }
        return new Sequence(ids, target);
    }

    public int size() {
        return sequences.size();
    }

    public List<Sequence> sequences() {
        return sequences;
    }

    /** How many examples were longer than max_length and were cut. */
    public int truncated() {
        return truncated;
    }

    /**
     * The batches of a run, in order: each epoch a new permutation drawn from {@code seed}, cut into
     * batches of {@code batchSize} (the last short one dropped); padding is {@code padId}, weight 0.
     */
    public Batches batches(int batchSize, long seed, long padId) {
        return new Batches(batchSize, seed, padId);
    }

    /** An endless, deterministic stream of batches. */
    public final class Batches {
        private final int batchSize;
        private final SplittableRandom rnd;
        private final long padId;
        private int[] order;
        private int next;

        private Batches(int batchSize, long seed, long padId) {
            if (batchSize > sequences.size()) {
                throw new IllegalArgumentException("batch_size " + batchSize + " is more than the " + sequences.size()
                        + " examples of the training file");
            }
            this.batchSize = batchSize;
            this.rnd = new SplittableRandom(seed);
            this.padId = padId;
        }

        public Batch next() {
            if (order == null || next + batchSize > order.length) {
                order = permutation(sequences.size());
                next = 0;
            }
            List<Sequence> picked = new ArrayList<>(batchSize);
            int longest = 0;
            for (int i = 0; i < batchSize; i++) {
                Sequence s = sequences.get(order[next++]);
                picked.add(s);
                longest = Math.max(longest, s.ids().length);
            }
            long[][] ids = new long[batchSize][longest];
            List<byte[]> images = new ArrayList<>(batchSize);
            float[][] weights = new float[batchSize][longest];
            long real = 0;
            for (int i = 0; i < batchSize; i++) {
                Sequence s = picked.get(i);
                java.util.Arrays.fill(ids[i], padId);
                System.arraycopy(s.ids(), 0, ids[i], 0, s.ids().length);
                for (int j = 0; j < s.ids().length; j++) {
                    weights[i][j] = s.target()[j] ? 1f : 0f;
                }
                real += s.ids().length;
                images.add(s.image());
            }
            return new Batch(ids, weights, real, images);
        }

        /** Fisher-Yates with this stream's generator. */
        private int[] permutation(int n) {
            int[] p = new int[n];
            for (int i = 0; i < n; i++) {
                p[i] = i;
            }
            for (int i = n - 1; i > 0; i--) {
                int j = rnd.nextInt(i + 1);
                int t = p[i];
                p[i] = p[j];
                p[j] = t;
            }
            return p;
        }
    }
}
