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
        int japanese = 0;
        int kana = 0;
        int letters = 0;
        for (int i = 0; i < text.length(); ) {
            int cp = text.codePointAt(i);
            i += Character.charCount(cp);
            if (!Character.isLetter(cp)) {
                continue;
            }
            letters++;
            Character.UnicodeScript script = Character.UnicodeScript.of(cp);
            boolean isKana = script == Character.UnicodeScript.HIRAGANA || script == Character.UnicodeScript.KATAKANA
                    || cp == 0x30FC; // ー, the prolonged sound mark, is script COMMON
            if (isKana) {
                kana++;
            }
            if (isKana || script == Character.UnicodeScript.HAN) {
                japanese++;
            }
        }
        return kana > 0 && japanese * 2 > letters;
    }
}
