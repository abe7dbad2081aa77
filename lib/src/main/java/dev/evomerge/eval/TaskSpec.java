package dev.evomerge.eval;

import java.io.Serializable;

/**
 * One scored dataset of a run: what is measured ({@code likelihood}, {@code mgsm} or {@code vqa}), on which
 * items ({@code data}, an absolute location, and its {@code split}), and how the task's answer
 * becomes the objective a search maximizes.
 */
public record TaskSpec(String name, String task, String data, String split, String lang, String template,
                       int maxNewTokens) implements Serializable {

    public Task toTask() {
        return Task.parse(task, lang, template, maxNewTokens);
    }

    public boolean isLikelihood() {
        return task.equals("likelihood");
    }

    public boolean isVqa() {
        return task.equals("vqa");
    }

    /**
     * The metric's name: {@code <name>.loss} (nats per token, lower is better), {@code <name>.rougeL}
     * (the mean VQA score, 0..1) or {@code <name>.accuracy}.
     */
    public String metric() {
        return name + (isLikelihood() ? ".loss" : isVqa() ? ".rougeL" : ".accuracy");
    }

    /** The metric of this task's totals: mean loss per token, mean VQA score, or accuracy (MGSM-ja: right and in Japanese). */
    public double metric(Summary s) {
        return isLikelihood() ? s.meanLoss() : isVqa() ? s.meanScore() : s.accuracyInJapanese();
    }

    /**
     * The 95% interval of an accuracy or VQA metric of these totals: Wilson's for accuracy (of what
     * {@link #metric(Summary)} counts), the normal approximation for the mean VQA score; none for a loss.
     */
    public double[] interval(Summary s) {
        if (isLikelihood()) {
            return new double[] {Double.NaN, Double.NaN};
        }
        return isVqa() ? s.scoreInterval() : Summary.wilson(s.correctInJapanese(), s.items());
    }

    /** The objective, higher is better: accuracy, or minus the loss. */
    public double objective(Summary s) {
        return isLikelihood() ? -metric(s) : metric(s);
    }
}
