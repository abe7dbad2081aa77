package dev.evomerge.merge;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.evomerge.io.Checkpoint;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A recipe's {@code chat_template}, written into the output's tokenizer_config.json (where every
 * transformers version reads it): the Jinja text given, or for {@code auto} the template most of
 * the merged models' tokenizers carry (ties: the first in the recipe; none: nothing written), as
 * mergekit picks it. A {@code chat_template.jinja} copied from a source is replaced.
 */
final class ChatTemplate {
    private static final ObjectMapper JSON = new ObjectMapper();

    private ChatTemplate() {
    }

    static void write(MergeConfig cfg, Path dir, MergePlan plan) throws IOException {
        if (cfg.chatTemplate() == null) {
            return;
        }
        String template = cfg.chatTemplate().equals("auto") ? mostCommon(cfg, plan) : cfg.chatTemplate();
        Path file = dir.resolve("tokenizer_config.json");
        if (template == null || !Files.isRegularFile(file)) {
            return;
        }
        ObjectNode config = (ObjectNode) JSON.readTree(file.toFile());
        config.put("chat_template", template);
        Files.writeString(file, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(config), StandardCharsets.UTF_8);
        Files.deleteIfExists(dir.resolve("chat_template.jinja"));
    }

    /** The merged models' most common template (stripped, as mergekit compares them), or null when none has one. */
    private static String mostCommon(MergeConfig cfg, MergePlan plan) throws IOException {
        Map<String, Integer> counts = new LinkedHashMap<>();
        for (String location : cfg.locations()) {
            String t = templateOf(plan.opened(location));
            if (t != null) {
                counts.merge(t.strip(), 1, Integer::sum);
            }
        }
        return counts.entrySet().stream().max(Map.Entry.comparingByValue()).map(Map.Entry::getKey).orElse(null);
    }

    private static String templateOf(Checkpoint c) throws IOException {
        Path jinja = c.dir().resolve("chat_template.jinja");
        if (Files.isRegularFile(jinja)) {
            return Files.readString(jinja);
        }
        Path config = c.dir().resolve("tokenizer_config.json");
        if (!Files.isRegularFile(config)) {
            return null;
        }
        JsonNode t = JSON.readTree(config.toFile()).get("chat_template");
        return t != null && t.isTextual() ? t.asText() : null;
    }
}
