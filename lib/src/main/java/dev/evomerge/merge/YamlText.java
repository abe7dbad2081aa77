package dev.evomerge.merge;

import java.util.Locale;

/** How recipes write their scalars, so that YAML reads them back as the same values. */
final class YamlText {
    private YamlText() {
    }

    /**
     * A double in its shortest exact form, which YAML reads back as the same float: Java's
     * {@code 1.0E10} becomes {@code 1.0e+10} (YAML 1.1 reads an exponent without a sign as text).
     */
    static String number(double v) {
        String s = Double.toString(v).toLowerCase(Locale.ROOT);
        int e = s.indexOf('e');
        return e >= 0 && s.charAt(e + 1) != '-' ? s.substring(0, e + 1) + "+" + s.substring(e + 1) : s;
    }

    /** A string as a single-quoted YAML scalar (locations hold ':' as in s3a://). */
    static String quote(String s) {
        return "'" + s.replace("'", "''") + "'";
    }
}
