package dev.evomerge.eval;

import dev.evomerge.model.Likelihood;
import dev.evomerge.model.Tokenizer;

/**
 * Likelihood fitness: the mean cross-entropy (nats per token) of each item's reference text, the
 * question followed by its answer, teacher-forced, every token after BOS scored. No generation:
 * far cheaper and smoother than accuracy, and the fitness for models too small to answer. Lower
 * is better. On a VQA set and a vision-language model, the text follows the item's image.
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

    /**
     * A VQA item for a vision-language model: BOS and the image's {@code imageTokens} tokens as the
     * prefix, then the same text on a new line, every token of it scored (the plain VQA template,
     * answered): the loss of the question and answer given the image.
     */
    public Likelihood.Item tokens(EvalItem item, Tokenizer tok, long imageToken, int imageTokens) {
        if (tok.bosId() == null) {
            throw new IllegalArgumentException("scoring a whole text needs a tokenizer with a BOS token");
        }
        long[] prefix = new long[1 + imageTokens];
        java.util.Arrays.fill(prefix, imageToken);
        prefix[0] = tok.bosId();
        return new Likelihood.Item(prefix, tok.encode("\n" + text(item), false));
    }
}
