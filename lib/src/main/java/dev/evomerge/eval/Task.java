package dev.evomerge.eval;

/**
 * What is measured on each item: accuracy of a generated answer, a VQA answer's score, or the likelihood of reference
 * text. Chosen by name in configs and on the command line ({@link #parse}).
 */
public sealed interface Task permits MgsmTask, LikelihoodTask, VqaTask {

    String name();

    /** {@code mgsm} (with a language), {@code likelihood} or {@code vqa} (with a template name). */
    static Task parse(String name, String lang, String template, int maxNewTokens) {
        return switch (name) {
            case "mgsm" -> MgsmTask.of(lang, template, maxNewTokens);
            case "likelihood" -> new LikelihoodTask();
            case "vqa" -> VqaTask.of(template, maxNewTokens);
            default -> throw new IllegalArgumentException("unknown task '" + name + "' (mgsm, likelihood, vqa)");
        };
    }
}
