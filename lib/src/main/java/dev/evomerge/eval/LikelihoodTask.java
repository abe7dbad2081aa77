package dev.evomerge.eval;

import dev.evomerge.model.Likelihood;
import dev.evomerge.model.Tokenizer;

/**
 * Likelihood fitness: the mean cross-entropy (nats per token) of each item's reference text, the
 * question followed by its answer, teacher-forced, every token after BOS scored. No generation:
 * far cheaper and smoother than accuracy, and the fitness for models too small to answer. Lower
 * is better.
 */
public record LikelihoodTask() implements Task {

    @Override
    public String name() {
        return "likelihood";
    }

    public static String text(EvalItem item) {
        return item.question() + "\n" + item.answerText();
    }

    public Likelihood.Item tokens(EvalItem item, Tokenizer tok) {
        return Likelihood.Item.wholeText(tok, text(item));
    }
}
