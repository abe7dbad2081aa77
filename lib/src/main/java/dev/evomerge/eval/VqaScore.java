package dev.evomerge.eval;

import java.util.List;

/**
 * The paper's Japanese VQA score of one answer: ROUGE-L F-measure over Japanese morphemes, with
 * its language rule: when the reference is Japanese and the answer is not, the answer scores 0
 * (an English answer to a Japanese question is wrong however many words it shares).
 *
 * <p>Language, for these short answers, is the script of most letters
 * ({@link JapaneseDetector#isJapaneseScript}): "白" and "猫" are Japanese answers although they
 * have no kana. The paper asked fastText (lid.176), which is a download. Not safe for concurrent
 * use (it holds a tokenizer): one per thread.
 */
public final class VqaScore {
    private final JapaneseMorphemes morphemes = new JapaneseMorphemes();

    public double score(String reference, String answer) {
        if (JapaneseDetector.isJapaneseScript(reference) && !JapaneseDetector.isJapaneseScript(answer)) {
            return 0;
        }
        return RougeL.fMeasure(morphemes.tokenize(reference), morphemes.tokenize(answer));
    }

    /** The corpus score in percent (the paper's scale), with a 95% bootstrap interval of 1,000 resamples. */
    public BootstrapInterval corpus(List<String> references, List<String> answers, long seed) {
        if (references.size() != answers.size()) {
            throw new IllegalArgumentException(references.size() + " references but " + answers.size() + " answers");
        }
        double[] scores = new double[references.size()];
        for (int i = 0; i < scores.length; i++) {
            scores[i] = 100 * score(references.get(i), answers.get(i));
        }
        return BootstrapInterval.of(scores, 0.95, 1000, seed);
    }
}
