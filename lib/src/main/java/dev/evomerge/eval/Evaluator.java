package dev.evomerge.eval;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.evomerge.model.CausalLm;
import dev.evomerge.model.Generator;
import dev.evomerge.model.Likelihood;
import dev.evomerge.model.Llava;
import dev.evomerge.model.LlavaVision;
import dev.evomerge.model.Tokenizer;
import dev.evomerge.model.Transformer;
import dev.evomerge.vision.ImagePreprocessor;
import java.util.ArrayList;
import java.util.List;

/** Runs a task over items with one model: what a Spark task does with its shard. */
public final class Evaluator {
    private final CausalLm model;
    private final Tokenizer tokenizer;
    private final int batchSize;
    private final LlavaVision vision;

    public Evaluator(CausalLm model, Tokenizer tokenizer, int batchSize) {
        this(model, tokenizer, batchSize, null);
    }

    /**
     * With {@code vision} (a VLM's), the model answers VQA items as the language model of that
     * LLaVA; without (null), it answers them from the question alone.
     */
    public Evaluator(CausalLm model, Tokenizer tokenizer, int batchSize, LlavaVision vision) {
        if (batchSize < 1) {
            throw new IllegalArgumentException("batch size must be >= 1, got " + batchSize);
        }
        this.model = model;
        this.tokenizer = tokenizer;
        this.batchSize = batchSize;
        this.vision = vision;
    }

    public List<ItemResult> run(Task task, List<EvalItem> items) {
        // Java 17 has no pattern switch over the sealed interface's three kinds.
        if (task instanceof MgsmTask mgsm) {
            return accuracy(mgsm, items);
        }
        if (task instanceof VqaTask vqa) {
            return vqa(vqa, items);
        }
        return likelihood((LikelihoodTask) task, items);
    }

    private List<ItemResult> accuracy(MgsmTask task, List<EvalItem> items) {
        return answer(items, new Generator.Options(task.maxNewTokens(), task.stopStrings(), true),
                it -> tokenizer.encode(task.prompt(it)), task::judge);
    }

    /** Greedy answers to text prompts, in batches, each judged; a prompt the model cannot read is a wrong answer with its reason. */
    private List<ItemResult> answer(List<EvalItem> items, Generator.Options options, java.util.function.Function<EvalItem, long[]> prompt,
                                    java.util.function.BiFunction<EvalItem, String, ItemResult> judge) {
        Generator generator = new Generator(model, tokenizer);
        List<ItemResult> results = new ArrayList<>();
        for (int start = 0; start < items.size(); start += batchSize) {
            List<EvalItem> batch = items.subList(start, Math.min(items.size(), start + batchSize));
            List<long[]> prompts = batch.stream().map(prompt).toList();
            List<Generator.Result> out = generateFitting(generator, prompts, options, null);
            for (int i = 0; i < batch.size(); i++) {
                results.add(out.get(i) != null ? judge.apply(batch.get(i), out.get(i).text()) : tooLong(batch.get(i), prompts.get(i)));
            }
        }
        return results;
    }

    /** VQA: each image through the VLM's vision tower, its features in its prompt's image tokens, greedy answers scored. */
    private List<ItemResult> vqa(VqaTask task, List<EvalItem> items) {
        VqaScore scorer = new VqaScore();
        if (vision == null) {
            return vqaWithoutImages(task, items, scorer);
        }
        Llava llava = Llava.of(vision, languageModel());
        Generator generator = new Generator(model, tokenizer);
        Generator.Options options = new Generator.Options(task.maxNewTokens(), task.stopStrings(), true);
        List<ItemResult> results = new ArrayList<>();
        for (int start = 0; start < items.size(); start += batchSize) {
            List<EvalItem> batch = items.subList(start, Math.min(items.size(), start + batchSize));
            try (NDManager m = model.manager().newSubManager()) {
                List<NDArray> features = new ArrayList<>();
                List<long[]> prompts = new ArrayList<>();
                for (EvalItem item : batch) {
                    if (item.image() == null) {
                        throw new IllegalArgumentException("item " + item.index() + " has no image: task vqa needs a VQA set");
                    }
                    NDArray f = vision.features(m, vision.prepare(ImagePreprocessor.decode(item.image())));
                    features.add(f);
                    prompts.add(task.promptIds(tokenizer, item, vision.imageTokenId(), (int) f.getShape().get(0)));
                }
                List<Generator.Result> out = generateFitting(generator, prompts, options, (fitting, sub, padded) ->
                        llava.promptEmbeddings(sub, padded, fitting.stream().map(features::get).toList()));
                for (int i = 0; i < batch.size(); i++) {
                    results.add(out.get(i) != null ? task.judge(scorer, batch.get(i), out.get(i).text())
                            : tooLong(batch.get(i), prompts.get(i)));
                }
            }
        }
        return results;
    }

    /**
     * VQA for a language model without a vision tower: the question alone in the template, no
     * image. What the paper's Japanese LM would answer, blind: the floor a VLM merge must beat.
     */
    private List<ItemResult> vqaWithoutImages(VqaTask task, List<EvalItem> items, VqaScore scorer) {
        return answer(items, new Generator.Options(task.maxNewTokens(), task.stopStrings(), true),
                it -> tokenizer.encode(task.textOnlyPrompt(it), true), (it, text) -> task.judge(scorer, it, text));
    }

    /** A batch's prompts as embeddings, given which of them (indices into the batch) are generated. */
    @FunctionalInterface
    private interface BatchEmbeddings {
        NDArray of(List<Integer> fitting, NDManager m, long[][] paddedIds);
    }

    /**
     * Generates for the prompts the model can read (shorter than max_position_embeddings); null in
     * the place of one it cannot: that is a wrong answer with its reason, not a failed evaluation.
     */
    private List<Generator.Result> generateFitting(Generator generator, List<long[]> prompts, Generator.Options options,
                                                   BatchEmbeddings embeddings) {
        int maxPrompt = model.config().maxPositionEmbeddings() - 1;
        List<Integer> fitting = new ArrayList<>();
        for (int i = 0; i < prompts.size(); i++) {
            if (prompts.get(i).length <= maxPrompt) {
                fitting.add(i);
            }
        }
        List<Generator.Result> out = new ArrayList<>(java.util.Collections.nCopies(prompts.size(), null));
        if (fitting.isEmpty()) {
            return out;
        }
        List<Generator.Result> generated = generator.generate(fitting.stream().map(prompts::get).toList(), options,
                embeddings == null ? null : (m, padded) -> embeddings.of(fitting, m, padded));
        for (int k = 0; k < fitting.size(); k++) {
            out.set(fitting.get(k), generated.get(k));
        }
        return out;
    }

    /** The language model behind a VLM's vision tower: a plain transformer. */
    private Transformer languageModel() {
        if (!(model instanceof Transformer t)) {
            throw new IllegalArgumentException("a vision-language model's language model is one transformer, not a composition");
        }
        return t;
    }

    private ItemResult tooLong(EvalItem item, long[] prompt) {
        return ItemResult.unanswered(item, "prompt of " + prompt.length + " tokens exceeds max_position_embeddings "
                + model.config().maxPositionEmbeddings());
    }

    /** Likelihood of each item's text; on a VQA set with a vision-language model, of the text given the item's image. */
    private List<ItemResult> likelihood(LikelihoodTask task, List<EvalItem> items) {
        List<Likelihood.Score> scores;
        if (vision != null && !items.isEmpty() && items.stream().allMatch(it -> it.image() != null)) {
            Llava llava = Llava.of(vision, languageModel());
            List<Likelihood.Item> sequences = new ArrayList<>();
            for (EvalItem it : items) {
                int[][][] rgb = ImagePreprocessor.decode(it.image());
                sequences.add(task.tokens(it, tokenizer, vision.imageTokenId(), vision.featureCount(rgb.length, rgb[0].length)));
            }
            scores = new Likelihood(model, batchSize).score(sequences, (m, ids, which) -> llava.promptEmbeddings(m, ids,
                    which.stream().map(i -> vision.features(m, vision.prepare(ImagePreprocessor.decode(items.get(i).image())))).toList()));
        } else {
            scores = new Likelihood(model, batchSize).score(items.stream().map(it -> task.tokens(it, tokenizer)).toList());
        }
        List<ItemResult> results = new ArrayList<>();
        for (int i = 0; i < items.size(); i++) {
            results.add(ItemResult.likelihood(items.get(i), scores.get(i).loss(), scores.get(i).tokens()));
        }
        return results;
    }
}
