package dev.evomerge.eval;

import dev.evomerge.model.Generator;
import dev.evomerge.model.Likelihood;
import dev.evomerge.model.Tokenizer;
import dev.evomerge.model.Transformer;
import java.util.ArrayList;
import java.util.List;

/** Runs a task over items with one model: what a Spark task does with its shard. */
public final class Evaluator {
    private final Transformer model;
    private final Tokenizer tokenizer;
    private final int batchSize;

    public Evaluator(Transformer model, Tokenizer tokenizer, int batchSize) {
        if (batchSize < 1) {
            throw new IllegalArgumentException("batch size must be >= 1, got " + batchSize);
        }
        this.model = model;
        this.tokenizer = tokenizer;
        this.batchSize = batchSize;
    }

    public List<ItemResult> run(Task task, List<EvalItem> items) {
        // Java 17 has no pattern switch; the sealed interface has exactly these two.
        if (task instanceof MgsmTask mgsm) {
            return accuracy(mgsm, items);
        }
        return likelihood((LikelihoodTask) task, items);
    }

    private List<ItemResult> accuracy(MgsmTask task, List<EvalItem> items) {
        Generator generator = new Generator(model, tokenizer);
        Generator.Options options = new Generator.Options(task.maxNewTokens(), task.stopStrings(), true);
        List<ItemResult> results = new ArrayList<>();
        int maxPrompt = model.config().maxPositionEmbeddings() - 1;
        for (int start = 0; start < items.size(); start += batchSize) {
            List<EvalItem> batch = items.subList(start, Math.min(items.size(), start + batchSize));
            List<long[]> prompts = batch.stream().map(it -> tokenizer.encode(task.prompt(it))).toList();
            // A prompt the model cannot even read is a wrong answer with its reason, not a failed evaluation.
            List<long[]> fitting = prompts.stream().filter(p -> p.length <= maxPrompt).toList();
            List<Generator.Result> out = fitting.isEmpty() ? List.of() : generator.generate(fitting, options);
            int next = 0;
            for (int i = 0; i < batch.size(); i++) {
                results.add(prompts.get(i).length <= maxPrompt ? task.judge(batch.get(i), out.get(next++).text())
                        : ItemResult.unanswered(batch.get(i), "prompt of " + prompts.get(i).length
                                + " tokens exceeds max_position_embeddings " + model.config().maxPositionEmbeddings()));
            }
        }
        return results;
    }

    private List<ItemResult> likelihood(LikelihoodTask task, List<EvalItem> items) {
        List<Likelihood.Score> scores = new Likelihood(model, batchSize)
                .score(items.stream().map(it -> task.tokens(it, tokenizer)).toList());
        List<ItemResult> results = new ArrayList<>();
        for (int i = 0; i < items.size(); i++) {
            results.add(ItemResult.likelihood(items.get(i), scores.get(i).loss(), scores.get(i).tokens()));
        }
        return results;
    }
}
