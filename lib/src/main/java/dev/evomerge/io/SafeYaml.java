package dev.evomerge.io;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/** YAML read with SnakeYAML's safe loader (maps, lists, scalars; never object construction) into a JSON tree. */
public final class SafeYaml {
    private SafeYaml() {
    }

    /**
     * The document as a tree; YAML's .nan and .inf stay numbers (Jackson's YAML parser rejects them),
     * so they reach the callers' finite-number checks. A syntax error is one line naming the file.
     */
    public static JsonNode tree(String file, String yaml) {
        try {
            Object tree = new Yaml(new SafeConstructor(new LoaderOptions())).load(yaml);
            return new ObjectMapper().valueToTree(tree);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(file + ": not valid YAML: " + String.valueOf(e.getMessage()).lines().findFirst().orElse(""));
        }
    }
}
