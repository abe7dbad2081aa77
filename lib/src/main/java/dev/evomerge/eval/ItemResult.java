package dev.evomerge.eval;

import java.math.BigDecimal;

/**
 * One item's outcome: for accuracy the response, the number read from it, whether it is right
 * and (Japanese tasks) whether it is written in Japanese; for likelihood the summed loss and
 * the number of scored tokens; for VQA the response and its score.
 */
public record ItemResult(int index, String question, String reference, String response, BigDecimal extracted,
                         boolean correct, Boolean japanese, double loss, int tokens, String error, double score) {

    static ItemResult accuracy(EvalItem item, String response, BigDecimal extracted, boolean correct, Boolean japanese) {
        return new ItemResult(item.index(), item.question(), item.answerNumber().toPlainString(), response, extracted,
                correct, japanese, 0, 0, null, 0);
    }

    /** An item the model could not answer at all (e.g. its prompt does not fit): counted wrong, with the reason. */
    static ItemResult unanswered(EvalItem item, String error) {
        return new ItemResult(item.index(), item.question(), item.answerNumber() != null ? item.answerNumber().toPlainString()
                : item.answerText(), "", null, false, null, 0, 0, error, 0);
    }

    static ItemResult likelihood(EvalItem item, double loss, int tokens) {
        return new ItemResult(item.index(), item.question(), item.answerText(), null, null, false, null, loss, tokens, null, 0);
    }

    /**
     * A VQA answer, its score in [0, 1] (ROUGE-L F with the language rule, {@link VqaScore}) and
     * whether it holds the reference ({@link VqaTask#namesReference}).
     */
    static ItemResult vqa(EvalItem item, String response, double score, boolean japanese, boolean right) {
        return new ItemResult(item.index(), item.question(), item.answerText(), response, null, right, japanese, 0, 0, null, score);
    }

    /** Right and, where the task checks it, written in Japanese. */
    public boolean correctInJapanese() {
        return correct && (japanese == null || japanese);
    }
}
