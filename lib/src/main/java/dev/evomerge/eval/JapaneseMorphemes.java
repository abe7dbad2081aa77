package dev.evomerge.eval;

import java.io.IOException;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.List;
import org.apache.lucene.analysis.ja.JapaneseTokenizer;
import org.apache.lucene.analysis.tokenattributes.CharTermAttribute;

/**
 * Japanese text as morphemes, the units VQA's ROUGE-L counts: Lucene's Kuromoji with its bundled
 * IPADIC dictionary in its normal mode (MeCab's segmentation with the same dictionary, which the
 * paper's scorer ran through fugashi), punctuation kept as tokens as MeCab keeps it.
 *
 * <p>Before segmenting, text is normalized as the paper's scorer does with emoji and neologdn:
 * emoji removed, Unicode NFKC (full-width Latin and digits to half width, half-width katakana to
 * full width), whitespace collapsed, and a space dropped unless both its neighbours are Latin
 * letters or digits (neologdn's rule: "白い 猫" is "白い猫", "Sparkling Lemon" keeps its space).
 * Not safe for concurrent use: one per thread.
 */
public final class JapaneseMorphemes {
    private final JapaneseTokenizer tokenizer = new JapaneseTokenizer(null, false, JapaneseTokenizer.Mode.NORMAL);
    private final CharTermAttribute term = tokenizer.addAttribute(CharTermAttribute.class);

    public List<String> tokenize(String text) {
        List<String> out = new ArrayList<>();
        try {
            tokenizer.setReader(new StringReader(normalize(text)));
            try {
                tokenizer.reset();
                while (tokenizer.incrementToken()) {
                    String t = term.toString();
                    if (!t.isBlank()) {
                        out.add(t);
                    }
                }
                tokenizer.end();
            } finally {
                tokenizer.close(); // ready for the next text whatever happened to this one
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a StringReader does not fail
        }
        return out;
    }

    static String normalize(String text) {
        StringBuilder kept = new StringBuilder(text.length());
        text.codePoints().filter(cp -> !isEmoji(cp)).forEach(kept::appendCodePoint);
        String s = Normalizer.normalize(kept, Normalizer.Form.NFKC).strip().replaceAll("\\s+", " ");
        StringBuilder b = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == ' ' && !(isLatinOrDigit(s.charAt(i - 1)) && isLatinOrDigit(s.charAt(i + 1)))) {
                continue; // strip() leaves no space at either end
            }
            b.append(c);
        }
        return b.toString();
    }

    private static boolean isLatinOrDigit(char c) {
        return c < 0x80 && Character.isLetterOrDigit(c);
    }

    /** The ranges the paper's scorer removes (emoticons, pictographs, transport, flags, dingbats), and their joiners. */
    private static boolean isEmoji(int cp) {
        return (cp >= 0x1F600 && cp <= 0x1F64F) || (cp >= 0x1F300 && cp <= 0x1F5FF) || (cp >= 0x1F680 && cp <= 0x1F6FF)
                || (cp >= 0x1F1E0 && cp <= 0x1F1FF) || (cp >= 0x2702 && cp <= 0x27B0) || (cp >= 0x1F900 && cp <= 0x1F9FF)
                || cp == 0xFE0F || cp == 0x200D;
    }
}
