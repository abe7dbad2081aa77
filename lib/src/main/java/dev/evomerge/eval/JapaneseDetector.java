package dev.evomerge.eval;

/**
 * Is a text written in Japanese? The paper asked fastText's lid.176 for P(ja) > 0.5; that model
 * is a download, which evomerge never does, so this is a script rule: among the letters of the
 * text (digits, punctuation and symbols do not count), more than half are Japanese script
 * (hiragana, katakana, CJK ideographs, the iteration mark and the prolonged sound mark), and at
 * least one is kana, which tells Japanese from Chinese. Its agreement on real text is measured in
 * the tests on MGSM's Japanese and English problems and worked answers.
 */
public final class JapaneseDetector {
    private JapaneseDetector() {
    }

    public static boolean isJapanese(String text) {
        int[] c = letters(text);
        return c[KANA] > 0 && c[JAPANESE] * 2 > c[LETTERS];
    }

    /**
     * The weaker rule for short answers (VQA's "白", "猫"): more than half of the letters are
     * Japanese script, kana or not. Chinese passes it too; a text without letters does not.
     */
    public static boolean isJapaneseScript(String text) {
        int[] c = letters(text);
        return c[JAPANESE] * 2 > c[LETTERS];
    }

    private static final int LETTERS = 0;
    private static final int JAPANESE = 1;
    private static final int KANA = 2;

    /** Counts of letters, of Japanese-script letters and of kana. */
    private static int[] letters(String text) {
        int[] c = new int[3];
        for (int i = 0; i < text.length(); ) {
            int cp = text.codePointAt(i);
            i += Character.charCount(cp);
            if (!Character.isLetter(cp)) {
                continue;
            }
            c[LETTERS]++;
            Character.UnicodeScript script = Character.UnicodeScript.of(cp);
            boolean isKana = script == Character.UnicodeScript.HIRAGANA || script == Character.UnicodeScript.KATAKANA
                    || cp == 0x30FC; // ー, the prolonged sound mark, is script COMMON
            if (isKana) {
                c[KANA]++;
            }
            if (isKana || script == Character.UnicodeScript.HAN) {
                c[JAPANESE]++;
            }
        }
        return c;
    }
}
