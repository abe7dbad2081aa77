package dev.evomerge.eval;

import java.util.List;
import java.util.Map;

/**
 * MGSM accuracy in one language: the question in a prompt template, greedy generation, the last
 * number of the response compared with the reference. For Japanese the paper's stricter metric
 * also requires the response to be written in Japanese ({@link JapaneseDetector}).
 *
 * @param lang         MGSM language code ("ja", "en", ...)
 * @param template     the prompt with {input} for the question
 * @param shots        worked exemplars put before the prompt ("" for zero-shot)
 * @param stopStrings  where a response ends (the start of a next instruction or question)
 */
public record MgsmTask(String lang, String templateName, String template, String shots, List<String> stopStrings,
                       int maxNewTokens) implements Task {

    /** MGSM's languages (Shi et al. 2022): English and its ten translations. */
    public static final List<String> LANGUAGES = List.of("bn", "de", "en", "es", "fr", "ja", "ru", "sw", "te", "th", "zh");

    /** The paper's Japanese chain-of-thought Alpaca template (SakanaAI evomerge, prompt_templates.py), verbatim. */
    public static final String JA_ALPACA_COT = "以下に、あるタスクを説明する指示があります。"
            + "リクエストを適切に完了するための回答を日本語で記述してください。一歩一歩考えましょう。\n\n"
            + "### 指示:\n{input}\n\n### 応答:\n";
    /** The same template in English. */
    public static final String EN_ALPACA_COT = "Below is an instruction that describes a task. "
            + "Write a response that appropriately completes the request. Let's think step by step.\n\n"
            + "### Instruction:\n{input}\n\n### Response:\n";

    private static final Map<String, String> TEMPLATES = Map.of(
            "ja-alpaca-cot", JA_ALPACA_COT,
            "en-alpaca-cot", EN_ALPACA_COT,
            // MGSM's own exemplar format, for models without instruction tuning.
            "mgsm-ja", "問題：{input}\nステップごとの答え：",
            "mgsm-en", "Question: {input}\nStep-by-Step Answer:");

    public static MgsmTask of(String lang, String templateName, int maxNewTokens) {
        if (!LANGUAGES.contains(lang)) {
            throw new IllegalArgumentException("unknown MGSM language '" + lang + "' (" + String.join(", ", LANGUAGES) + ")");
        }
        String chosen = templateName != null ? templateName : (lang.equals("ja") ? "ja-alpaca-cot" : "en-alpaca-cot");
        return new MgsmTask(lang, chosen, template(chosen), "", List.of("### 指示", "### Instruction", "問題：", "Question:"),
                maxNewTokens);
    }

    /** The prompt template named {@code name}, with {input} for the question. */
    public static String template(String name) {
        String template = TEMPLATES.get(name);
        if (template == null) {
            throw new IllegalArgumentException("unknown template '" + name + "' (" + String.join(", ", TEMPLATES.keySet()) + ")");
        }
        return template;
    }

    /**
     * The same task with the first {@code k} worked exemplars of an MGSM exemplar file
     * (JSONL with "q" and "a", as in MGSM's exemplars: "問題：..." / "ステップごとの答え：...") before each prompt.
     */
    public MgsmTask withShots(List<String[]> exemplars, int k) {
        if (k > exemplars.size()) {
            throw new IllegalArgumentException(k + " shots asked, the exemplar file has " + exemplars.size());
        }
        StringBuilder b = new StringBuilder();
        for (String[] qa : exemplars.subList(0, k)) {
            b.append(qa[0]).append('\n').append(qa[1]).append("\n\n");
        }
        return new MgsmTask(lang, templateName + " " + k + "-shot", template, b.toString(), stopStrings, maxNewTokens);
    }

    @Override
    public String name() {
        return "mgsm-" + lang;
    }

    public String prompt(EvalItem item) {
        return shots + template.replace("{input}", item.question());
    }

    public boolean checksJapanese() {
        return lang.equals("ja");
    }

    /** The per-item verdict on a response. */
    public ItemResult judge(EvalItem item, String response) {
        var extracted = AnswerExtractor.lastNumber(response).orElse(null);
        boolean correct = extracted != null && extracted.compareTo(item.answerNumber()) == 0;
        Boolean japanese = checksJapanese() ? JapaneseDetector.isJapanese(response) : null;
        return ItemResult.accuracy(item, response, extracted, correct, japanese);
    }
}
