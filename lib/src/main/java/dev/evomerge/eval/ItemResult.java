package dev.evomerge.eval;

import java.math.BigDecimal;

/**
 * One item's outcome: for accuracy the response, the number read from it, whether it is right
 * and (Japanese tasks) whether it is written in Japanese; for likelihood the summed loss and
 * the number of scored tokens.
 */
public record ItemResult(int index, String question, String reference, String response, BigDecimal extracted,
                         boolean correct, Boolean japanese, double loss, int tokens) {

    static ItemResult accuracy(EvalItem item, String response, BigDecimal extracted, boolean correct, Boolean japanese) {
        return new ItemResult(item.index(), item.question(), item.answerNumber().toPlainString(), response, extracted,
                correct, japanese, 0, 0);
    }

    static ItemResult likelihood(EvalItem item, double loss, int tokens) {
        return new ItemResult(item.index(), item.question(), item.answerText(), null, null, false, null, loss, tokens);
    }

    /** Right and, where the task checks it, written in Japanese. */
    public boolean correctInJapanese() {
        return correct && (japanese == null || japanese);
    }
}
