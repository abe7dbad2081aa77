package dev.evomerge.eval;

/**
 * What is measured on each item: accuracy of a generated answer, or the likelihood of reference
 * text. Chosen by name in configs and on the command line ({@link #parse}).
 */
public sealed interface Task permits MgsmTask, LikelihoodTask {

    String name();

    /** {@code mgsm} (with a language) or {@code likelihood}. */
    static Task parse(String name, String lang, String template, int maxNewTokens) {
        return switch (name) {
            case "mgsm" -> MgsmTask.of(lang, template, maxNewTokens);
            case "likelihood" -> new LikelihoodTask();
            default -> throw new IllegalArgumentException("unknown task '" + name + "' (mgsm, likelihood)");
        };
    }
}
