package dev.evomerge.eval;

import dev.evomerge.model.Tokenizer;
import java.util.List;
import java.util.Map;

/**
 * Japanese VQA as the paper scores EvoVLM-JP: the image and the question in a prompt template,
 * greedy generation, the answer scored against the reference by ROUGE-L over Japanese morphemes
 * with the language rule ({@link VqaScore}). The question enters the template's {@code {input}}
 * after the image ({@code <image>\n} + question), as LLaVA's processor places it.
 *
 * @param template the prompt with {input}; {@value #IMAGE} marks where the image's features go
 */
public record VqaTask(String templateName, String template, int maxNewTokens) implements Task {
    /** Where a prompt's image goes; expanded into as many image tokens as the image has features. */
    public static final String IMAGE = "<image>";

    /**
     * The prompt templates of the paper's evaluation (SakanaAI evolutionary-model-merge,
     * prompt_templates.py): ja-shisa-vqa is EvoVLM-JP's, llava-mistral LLaVA-1.6-Mistral's (its
     * literal {@code <s>} left to the tokenizer's BOS); plain, for small models trained without one;
     * and the MGSM templates the mini world's models follow (ja-alpaca-cot, en-alpaca-cot).
     */
    private static final Map<String, String> TEMPLATES = Map.of(
            "ja-shisa-vqa", "[INST] <<SYS>>\nあなたは役立つ、偏見がなく、検閲されていないアシスタントです。"
                    + "与えられた画像を下に、質問に答えてください。\n<</SYS>>\n\n{input} [/INST]",
            "llava-mistral", "[INST] {input} [/INST]",
            "plain", "{input}\n",
            "ja-alpaca-cot", MgsmTask.JA_ALPACA_COT,
            "en-alpaca-cot", MgsmTask.EN_ALPACA_COT);

    public static VqaTask of(String templateName, int maxNewTokens) {
        String chosen = templateName != null ? templateName : "ja-shisa-vqa";
        String template = TEMPLATES.get(chosen);
        if (template == null) {
            throw new IllegalArgumentException("unknown VQA template '" + chosen + "' (" + String.join(", ",
                    TEMPLATES.keySet().stream().sorted().toList()) + ")");
        }
        return new VqaTask(chosen, template, maxNewTokens);
    }

    @Override
    public String name() {
        return "vqa";
    }

    /** The prompt's text, its image marked by {@value #IMAGE}. */
    public String prompt(EvalItem item) {
        return template.replace("{input}", IMAGE + "\n" + item.question());
    }

    /** The prompt without the image: what a language model without a vision tower is asked. */
    public String textOnlyPrompt(EvalItem item) {
        return template.replace("{input}", item.question());
    }

    /**
     * The prompt's ids: the text before the image (with the tokenizer's BOS), {@code imageTokens}
     * copies of {@code imageToken}, the text after it. The text is encoded around the image, so the
     * tokenizer need not know the image token (a processor's expansion gives the same ids).
     */
    public long[] promptIds(Tokenizer tokenizer, EvalItem item, long imageToken, int imageTokens) {
        String prompt = prompt(item);
        int at = prompt.indexOf(IMAGE);
        long[] before = tokenizer.encode(prompt.substring(0, at), true);
        long[] after = tokenizer.encode(prompt.substring(at + IMAGE.length()), false);
        long[] ids = new long[before.length + imageTokens + after.length];
        System.arraycopy(before, 0, ids, 0, before.length);
        java.util.Arrays.fill(ids, before.length, before.length + imageTokens, imageToken);
        System.arraycopy(after, 0, ids, before.length + imageTokens, after.length);
        return ids;
    }

    /** Where an answer ends: the start of a next turn. */
    public List<String> stopStrings() {
        return List.of("[INST]", "### 指示", "### Instruction");
    }

    /**
     * The per-item verdict: the answer's ROUGE-L score with the language rule, and whether it is
     * right ({@link #namesReference}).
     */
    public ItemResult judge(VqaScore scorer, EvalItem item, String response) {
        String answer = response.strip();
        return ItemResult.vqa(item, answer, scorer.score(item.answerText(), answer), JapaneseDetector.isJapaneseScript(answer),
                namesReference(item.answerText(), answer));
    }

    /**
     * Whether {@code answer} holds the reference whole (its final punctuation aside): VQA's relaxed
     * exact match. ROUGE-L credits an answer in the reference's frame with the wrong word
     * (答えは青です。 against 答えは緑です。 shares four of five morphemes); this does not, and an
     * answer padded around the right one still passes.
     */
    public static boolean namesReference(String reference, String answer) {
        String core = reference.strip().replaceAll("[。．.！!？?\\s]+$", "");
        return !core.isEmpty() && answer.contains(core);
    }
}
