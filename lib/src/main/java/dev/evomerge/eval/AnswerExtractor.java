package dev.evomerge.eval;

import java.math.BigDecimal;
import java.text.Normalizer;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The answer of a response: its last number. The paper's regex ({@code \d*\.?\d+} after removing
 * commas) reads "1,000" right only by accident of the comma removal and gets full-width digits
 * ("１２"), negative numbers and lists ("1,2,3" becomes 123) wrong. Here the text is
 * NFKC-normalized first (full-width digits, commas, periods and minus signs become ASCII), and a
 * number is an optional minus sign not preceded by a digit (so "5-3" holds no -3), digits with
 * optional thousands groups of exactly three, and an optional decimal part. Units and
 * punctuation around it ("1,000円", "18.") do not matter.
 */
public final class AnswerExtractor {
    private static final Pattern NUMBER = Pattern.compile(
            "(?<![\\d.])(?:(?<!\\d)-)?(?:\\d{1,3}(?:,\\d{3})+(?!\\d)|\\d+)(?:\\.\\d+)?");

    private AnswerExtractor() {
    }

    public static Optional<BigDecimal> lastNumber(String response) {
        String text = Normalizer.normalize(response, Normalizer.Form.NFKC).replace('\u2212', '-');
        Matcher m = NUMBER.matcher(text);
        String last = null;
        while (m.find()) {
            last = m.group();
        }
        return last == null ? Optional.empty() : Optional.of(new BigDecimal(last.replace(",", "")));
    }

    /** Whether {@code response}'s answer equals {@code reference} as a number (2 equals 2.0). */
    public static boolean isCorrect(String response, BigDecimal reference) {
        return lastNumber(response).map(v -> v.compareTo(reference) == 0).orElse(false);
    }
}
