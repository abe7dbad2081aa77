package dev.evomerge.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.evomerge.model.Likelihood;
import dev.evomerge.model.Tokenizer;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * {@code scripts/score --model DIR --data FILE.jsonl [--batch-size N]}: teacher-forced loss of a
 * JSONL file. A line {@code {"text": ...}} is scored on every token after BOS; a line
 * {@code {"prompt": ..., "completion": ...}} on the completion's tokens only (the tokens of
 * prompt + completion after those of the prompt, as lm-evaluation-harness splits them). The last
 * line printed is {@code mean_loss=<nats per token over all scored tokens> tokens=<count>}.
 */
public final class Score {
    private Score() {
    }

    public static void main(String[] argv) {
        System.exit(Cli.run(() -> run(argv, System.out)));
    }

    static void run(String[] argv, PrintStream out) {
        Args a = new Args("score", argv, Set.of("model", "data", "batch-size", "device"));
        Path data = Path.of(a.required("data"));
        try (LoadedModel m = LoadedModel.open(a.required("model"), a.optional("device", "auto"))) {
            List<Likelihood.Item> items = readItems(data, m.tokenizer());
            List<Likelihood.Score> scores = new Likelihood(m.model(), a.intValue("batch-size", 8)).score(items);
            out.println(summary(scores));
        }
    }

    static String summary(List<Likelihood.Score> scores) {
        double loss = scores.stream().mapToDouble(Likelihood.Score::loss).sum();
        long tokens = scores.stream().mapToLong(Likelihood.Score::tokens).sum();
        return String.format(Locale.ROOT, "mean_loss=%.6f tokens=%d", loss / tokens, tokens);
    }

    static List<Likelihood.Item> readItems(Path data, Tokenizer tok) {
        ObjectMapper json = new ObjectMapper();
        List<Likelihood.Item> items = new ArrayList<>();
        List<String> lines;
        try {
            lines = Files.readAllLines(data, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + data + ": " + e.getMessage(), e);
        }
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            if (line.isBlank()) {
                continue;
            }
            String where = data + ":" + (i + 1) + ": ";
            JsonNode node;
            try {
                node = json.readTree(line);
            } catch (IOException e) {
                throw new IllegalArgumentException(where + "not valid JSON");
            }
            if (node.path("text").isTextual()) {
                try {
                    items.add(Likelihood.Item.wholeText(tok, node.get("text").asText()));
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException(where + e.getMessage());
                }
            } else if (node.path("prompt").isTextual() && node.path("completion").isTextual()) {
                long[] context = tok.encode(node.get("prompt").asText());
                long[] whole = tok.encode(node.get("prompt").asText() + node.get("completion").asText());
                items.add(new Likelihood.Item(context, Arrays.copyOfRange(whole, context.length, whole.length)));
            } else {
                throw new IllegalArgumentException(where + "needs a string \"text\", or string \"prompt\" and \"completion\"");
            }
        }
        if (items.isEmpty()) {
            throw new IllegalArgumentException(data + ": no lines to score");
        }
        return items;
    }
}
