package dev.evomerge.eval;

import java.math.BigDecimal;

/**
 * One problem of an evaluation set: its position in the file, the question, the reference
 * answer as text (a worked solution where the dataset has one, else the number) and as a number
 * (null for a VQA item, whose answer is text), and for a VQA item its image, encoded as stored.
 */
public record EvalItem(int index, String question, String answerText, BigDecimal answerNumber, byte[] image)
        implements java.io.Serializable {

    public EvalItem(int index, String question, String answerText, BigDecimal answerNumber) {
        this(index, question, answerText, answerNumber, null);
    }
}
