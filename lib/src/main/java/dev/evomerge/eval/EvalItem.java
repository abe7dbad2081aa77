package dev.evomerge.eval;

import java.math.BigDecimal;

/**
 * One problem of an evaluation set: its position in the file, the question, the reference
 * answer as text (a worked solution where the dataset has one, else the number) and as a number.
 */
public record EvalItem(int index, String question, String answerText, BigDecimal answerNumber) {
}
