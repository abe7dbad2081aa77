package dev.evomerge.merge;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.UnaryOperator;

/**
 * Where a merge's tokenizer comes from and how the embedding rows follow it, as mergekit's
 * {@code tokenizer} (and its short form {@code tokenizer_source}) says: {@code source} is
 * {@code base} (the reference's tokenizer), {@code union} (every model's tokens: the base's, then
 * each model's new ones in order), or a model's location; {@code tokens} says where a token's
 * embedding row comes from when the default would not do (a model's row of that token, another
 * token's row, zeros; {@code force} to override models that have the token); {@code
 * pad_to_multiple_of} pads the vocabulary with rows of the mean embedding.
 */
public record TokenizerSpec(String source, Map<String, TokenEmbedding> tokens, int padToMultipleOf, boolean shortForm)
        implements java.io.Serializable {

    public static final String BASE = "base";
    public static final String UNION = "union";

    /**
     * One token's embedding source: {@code model} (that model's row of this token), {@code zero},
     * or {@code model_token} (a model's row of another token, by text or id); null for the default.
     */
    public record TokenEmbedding(String kind, String model, String token, Integer tokenId, boolean force)
            implements java.io.Serializable {
    }

    /** The recipe's {@code tokenizer} or {@code tokenizer_source}, or null when it has neither. */
    static TokenizerSpec parse(String file, JsonNode root) {
        JsonNode shortForm = root.get("tokenizer_source");
        JsonNode full = root.get("tokenizer");
        if (shortForm != null && !shortForm.isNull() && full != null && !full.isNull()) {
            throw new MergeConfigException(file, "tokenizer", "give tokenizer or tokenizer_source, not both (as mergekit)");
        }
        if (shortForm != null && !shortForm.isNull()) {
            return new TokenizerSpec(source(file, "tokenizer_source", shortForm), Map.of(), 0, true);
        }
        if (full == null || full.isNull()) {
            return null;
        }
        MergeConfig.onlyKeys(file, "tokenizer.", full, Set.of("source", "tokens", "pad_to_multiple_of"));
        String source = full.has("source") ? source(file, "tokenizer.source", full.get("source")) : UNION; // mergekit's default
        Map<String, TokenEmbedding> tokens = new LinkedHashMap<>();
        JsonNode t = full.get("tokens");
        if (t != null && !t.isNull()) {
            if (!t.isObject()) {
                throw new MergeConfigException(file, "tokenizer.tokens", "must be a mapping of tokens to {source, force}");
            }
            for (Map.Entry<String, JsonNode> e : (Iterable<Map.Entry<String, JsonNode>>) t::fields) {
                tokens.put(e.getKey(), embedding(file, "tokenizer.tokens." + e.getKey(), e.getValue()));
            }
        }
        int pad = 0;
        if (full.hasNonNull("pad_to_multiple_of")) {
            JsonNode p = full.get("pad_to_multiple_of");
            if (!p.isInt() || p.intValue() < 1) {
                throw new MergeConfigException(file, "tokenizer.pad_to_multiple_of", "must be a positive integer, got " + p);
            }
            pad = p.intValue();
        }
        return new TokenizerSpec(source, Map.copyOf(tokens), pad, false);
    }

    private static String source(String file, String key, JsonNode node) {
        if (!node.isTextual() || node.asText().isBlank()) {
            throw new MergeConfigException(file, key, "must be base, union or a model's location");
        }
        String s = node.asText();
        return s.equals(BASE) || s.equals(UNION) ? s : MergeConfig.model(file, key, node);
    }

    private static TokenEmbedding embedding(String file, String key, JsonNode node) {
        MergeConfig.onlyKeys(file, key + ".", node, Set.of("source", "force"));
        boolean force = node.path("force").asBoolean(false);
        JsonNode src = node.get("source");
        if (src == null || src.isNull()) {
            return new TokenEmbedding(null, null, null, null, force);
        }
        if (src.isTextual()) {
            return new TokenEmbedding("model", MergeConfig.model(file, key + ".source", src), null, null, force);
        }
        MergeConfig.onlyKeys(file, key + ".source.", src, Set.of("kind", "model", "token", "token_id"));
        String kind = src.path("kind").asText("");
        switch (kind) {
            case "zero":
                return new TokenEmbedding("zero", null, null, null, force);
            case "model_token":
                if (src.has("token") == src.has("token_id")) {
                    throw new MergeConfigException(file, key + ".source", "give exactly one of token or token_id");
                }
                if (src.has("token_id") && (!src.get("token_id").isInt() || src.get("token_id").intValue() < 0)) {
                    throw new MergeConfigException(file, key + ".source.token_id", "must be a token id >= 0");
                }
                return new TokenEmbedding("model_token", MergeConfig.model(file, key + ".source.model", src.get("model")),
                        src.has("token") ? src.get("token").asText() : null, src.has("token_id") ? src.get("token_id").intValue() : null,
                        force);
            default:
                throw new MergeConfigException(file, key + ".source.kind", "must be zero or model_token (or give a model's location), got '"
                        + kind + "'");
        }
    }

    /** The locations this spec reads beyond the recipe's models (a model source, models named by token sources). */
    List<String> locations() {
        List<String> out = new ArrayList<>();
        if (!source.equals(BASE) && !source.equals(UNION)) {
            out.add(source);
        }
        tokens.values().stream().filter(e -> e.model() != null).forEach(e -> out.add(e.model()));
        return out;
    }

    TokenizerSpec withLocations(UnaryOperator<String> resolve) {
        Map<String, TokenEmbedding> t = new LinkedHashMap<>();
        tokens.forEach((k, e) -> t.put(k, e.model() == null ? e
                : new TokenEmbedding(e.kind(), resolve.apply(e.model()), e.token(), e.tokenId(), e.force())));
        return new TokenizerSpec(source.equals(BASE) || source.equals(UNION) ? source : resolve.apply(source), Map.copyOf(t),
                padToMultipleOf, shortForm);
    }

    void appendYaml(StringBuilder y) {
        if (shortForm) {
            y.append("tokenizer_source: ").append(YamlText.quote(source)).append('\n');
            return;
        }
        y.append("tokenizer:\n  source: ").append(YamlText.quote(source)).append('\n');
        if (!tokens.isEmpty()) {
            y.append("  tokens:\n");
            for (String token : new java.util.TreeSet<>(tokens.keySet())) {
                TokenEmbedding e = tokens.get(token);
                y.append("    ").append(YamlText.quote(token)).append(":\n");
                if ("model".equals(e.kind())) {
                    y.append("      source: ").append(YamlText.quote(e.model())).append('\n');
                } else if ("zero".equals(e.kind())) {
                    y.append("      source: {kind: zero}\n");
                } else if ("model_token".equals(e.kind())) {
                    y.append("      source: {kind: model_token, model: ").append(YamlText.quote(e.model()));
                    y.append(e.token() != null ? ", token: " + YamlText.quote(e.token()) : ", token_id: " + e.tokenId()).append("}\n");
                }
                if (e.force()) {
                    y.append("      force: true\n");
                }
            }
        }
        if (padToMultipleOf > 0) {
            y.append("  pad_to_multiple_of: ").append(padToMultipleOf).append('\n');
        }
    }
}
