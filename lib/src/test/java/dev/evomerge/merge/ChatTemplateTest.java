package dev.evomerge.merge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.evomerge.Fixtures;
import dev.evomerge.io.AtomicDirectory;
import dev.evomerge.io.CheckpointCache;
import dev.evomerge.io.Storage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code chat_template}: a template's text is written as given; {@code auto} takes the merged models' most common one. */
class ChatTemplateTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String CHATML = "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}";
    private static final String PLAIN = "{% for m in messages %}{{ m['content'] }}\n{% endfor %}";

    @TempDir
    Path tmp;

    /** A copy of a bundled model whose tokenizer carries {@code template} (none when null). */
    private Path withTemplate(String model, String name, String template) throws IOException {
        Path dir = tmp.resolve(name);
        Files.createDirectories(dir);
        try (var files = Files.list(Fixtures.model(model))) {
            for (Path f : files.toList()) {
                Files.copy(f, dir.resolve(f.getFileName()));
            }
        }
        if (template != null) {
            ObjectNode config = (ObjectNode) JSON.readTree(dir.resolve("tokenizer_config.json").toFile());
            config.put("chat_template", template);
            JSON.writeValue(dir.resolve("tokenizer_config.json").toFile(), config);
        }
        return dir;
    }

    private String merged(String chatTemplate, Path... models) throws IOException {
        StringBuilder yaml = new StringBuilder("merge_method: linear\nmodels:\n");
        for (Path m : models) {
            yaml.append("  - {model: ").append(m).append(", parameters: {weight: 1}}\n");
        }
        yaml.append("chat_template: ").append(JSON.writeValueAsString(chatTemplate)).append('\n');
        Path out = tmp.resolve("out-" + Math.abs(chatTemplate.hashCode()) + "-" + models.length);
        AtomicDirectory.deleteRecursively(out);
        Merger.merge(MergeConfig.parse("chat.yaml", yaml.toString()), out, new CheckpointCache(Storage.withDefaults(), tmp.resolve("cache")));
        var t = JSON.readTree(out.resolve("tokenizer_config.json").toFile()).get("chat_template");
        return t == null ? null : t.asText();
    }

    @Test
    void aTemplatesTextIsWrittenAndAutoTakesTheMostCommonOne() throws IOException {
        Path a = withTemplate("stories260K-math", "a", PLAIN);
        Path b = withTemplate("stories260K-ja", "b", CHATML);
        Path c = withTemplate("stories260K", "c", CHATML + "\n"); // the same template, but for the trailing space mergekit strips
        Path none = withTemplate("stories260K", "none", null);
        assertEquals(PLAIN, merged(PLAIN, b, c));
        assertEquals(CHATML, merged("auto", a, b, c)); // two of three carry chatml
        assertEquals(PLAIN, merged("auto", a, b)); // a tie: the first in the recipe
        assertEquals(null, merged("auto", none, Fixtures.model("stories260K-ja")));
        assertFalse(Files.exists(tmp.resolve("out-" + Math.abs(PLAIN.hashCode()) + "-2").resolve("chat_template.jinja")));
    }
}
