package dev.evomerge.eval;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.List;

/**
 * Which items of a dataset an evaluation uses, so fitness and test sets never overlap:
 * <ul>
 *   <li>{@code all};</li>
 *   <li>{@code range:A:B}: items A (inclusive) to B (exclusive) in file order;</li>
 *   <li>{@code hash:A:B}: items whose question hashes (SHA-256, as a fraction in [0, 1)) into
 *       [A, B), a split that does not depend on the file's order or length, e.g.
 *       {@code hash:0:0.7} for fitness and {@code hash:0.7:1} for test.</li>
 * </ul>
 */
public record Split(String kind, double from, double to) {

    public static Split parse(String spec) {
        if (spec == null || spec.equals("all")) {
            return new Split("all", 0, Double.POSITIVE_INFINITY);
        }
        String[] p = spec.split(":");
        if (p.length != 3 || !(p[0].equals("range") || p[0].equals("hash"))) {
            throw new IllegalArgumentException("split '" + spec + "': expected all, range:A:B or hash:A:B");
        }
        double a;
        double b;
        try {
            a = Double.parseDouble(p[1]);
            b = Double.parseDouble(p[2]);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("split '" + spec + "': bounds must be numbers");
        }
        if (!(a < b) || a < 0 || (p[0].equals("hash") && b > 1)) {
            throw new IllegalArgumentException("split '" + spec + "': need 0 <= A < B" + (p[0].equals("hash") ? " <= 1" : ""));
        }
        return new Split(p[0], a, b);
    }

    public List<EvalItem> select(List<EvalItem> items) {
        return items.stream().filter(this::contains).toList();
    }

    public boolean contains(EvalItem item) {
        return switch (kind) {
            case "all" -> true;
            case "range" -> item.index() >= from && item.index() < to;
            case "hash" -> {
                double h = hashFraction(item.question());
                yield h >= from && h < to;
            }
            default -> throw new IllegalStateException(kind);
        };
    }

    static double hashFraction(String text) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
            long bits = 0;
            for (int i = 0; i < 7; i++) {
                bits = (bits << 8) | (d[i] & 0xff);
            }
            return bits / (double) (1L << 56);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public String toString() {
        return kind.equals("all") ? "all" : kind + ":" + from + ":" + to;
    }
}
