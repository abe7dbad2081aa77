package dev.evomerge.merge;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.evomerge.io.Checkpoint;
import dev.evomerge.io.CheckpointException;
import dev.evomerge.io.DType;
import dev.evomerge.io.TensorBytes;
import dev.evomerge.io.TensorNames;
import dev.evomerge.io.TensorSpec;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * The output vocabulary of a merge and every model's embedding rows in it, as mergekit's
 * tokenizer handling makes them ({@code mergekit/tokenizer/build.py} and {@code embed.py}), for a
 * recipe with {@code tokenizer} or {@code tokenizer_source}. Without one the output is the
 * reference's vocabulary, row for row, and nothing here runs ({@link #NONE}).
 *
 * <p>The vocabulary: the base's tokenizer ({@code base}), a model's ({@code <location>}), or the
 * union ({@code union}): the base's tokenizer, then every other model's regular tokens it lacks,
 * then every added token it lacks (the first model's settings win), each appended as an added
 * token. New tokens are taken model by model in the order of their ids (mergekit takes them in the
 * order of its tokenizer library's dictionary).
 *
 * <p>A model's rows: its own row of each token it has (ids at or past its config's vocab_size are
 * padding, not tokens); for a token it lacks, the token's default row: the row of the one model
 * that has it, else the base's, else the mean of the rows of the models that have it, else zeros
 * ({@code tokens:} overrides, {@code force} even for models that have the token). Rows past the
 * vocabulary ({@code pad_to_multiple_of}) are each model's mean row.
 */
final class Vocabulary {
    /** The reference's vocabulary, unchanged. */
    static final Vocabulary NONE = new Vocabulary(null, null, List.of(), Map.of(), null, 0, null);

    private static final ObjectMapper JSON = new ObjectMapper();

    private final MergeConfig cfg;
    private final Function<String, Checkpoint> open;
    private final List<String> tokens; // output id -> token
    private final Map<String, Map<String, Integer>> vocabs; // location -> token -> id (ids < vocab_size only)
    private final ObjectNode tokenizerJson; // the output's tokenizer.json
    private final int size; // rows, padded
    private final Checkpoint filesFrom; // the checkpoint whose other tokenizer files the output takes
    private final Map<String, Map<String, float[]>> defaults = new HashMap<>(); // tensor -> token -> its default row

    private Vocabulary(MergeConfig cfg, Function<String, Checkpoint> open, List<String> tokens, Map<String, Map<String, Integer>> vocabs,
                       ObjectNode tokenizerJson, int size, Checkpoint filesFrom) {
        this.cfg = cfg;
        this.open = open;
        this.tokens = tokens;
        this.vocabs = vocabs;
        this.tokenizerJson = tokenizerJson;
        this.size = size;
        this.filesFrom = filesFrom;
    }

    /** The recipe's vocabulary; {@link #NONE} when it names no tokenizer. */
    static Vocabulary of(MergeConfig cfg, Function<String, Checkpoint> open) {
        TokenizerSpec spec = cfg.tokenizer();
        if (spec == null) {
            return NONE;
        }
        String base = cfg.referenceModel();
        Map<String, Map<String, Integer>> vocabs = new LinkedHashMap<>();
        Map<String, ObjectNode> jsons = new LinkedHashMap<>();
        for (String m : cfg.locations()) { // the merge's inputs, then a tokenizer source outside them
            ObjectNode json = tokenizerJson(open.apply(m), m);
            jsons.put(m, json);
            vocabs.put(m, vocab(json, open.apply(m).config().vocabSize()));
        }
        for (TokenizerSpec.TokenEmbedding rule : spec.tokens().values()) {
            if (rule.model() != null && !cfg.inputs().contains(rule.model())) {
                throw new MergeConfigException("the recipe", "tokenizer.tokens", rule.model() + " is not one of the merge's models "
                        + "(a token's row comes from a model being merged)");
            }
        }
        ObjectNode out;
        Checkpoint filesFrom;
        if (spec.source().equals(TokenizerSpec.UNION)) {
            Map<String, ObjectNode> inputs = new LinkedHashMap<>(jsons);
            inputs.keySet().retainAll(cfg.inputs());
            out = union(base, inputs, vocabs);
            filesFrom = open.apply(base);
        } else {
            String from = spec.source().equals(TokenizerSpec.BASE) ? base : spec.source();
            filesFrom = open.apply(from);
            out = jsons.containsKey(from) ? jsons.get(from).deepCopy() : tokenizerJson(filesFrom, from);
        }
        Map<String, Integer> outVocab = vocab(out, Integer.MAX_VALUE);
        List<String> tokens = new ArrayList<>(outVocab.keySet());
        tokens.sort(Comparator.comparingInt(outVocab::get));
        for (int i = 0; i < tokens.size(); i++) {
            if (outVocab.get(tokens.get(i)) != i) {
                throw new CheckpointException(filesFrom.dir().toString(), "tokenizer.json: token ids are not 0.." + (tokens.size() - 1));
            }
        }
        int size = tokens.size();
        if (spec.padToMultipleOf() > 0 && size % spec.padToMultipleOf() != 0) {
            size = (size / spec.padToMultipleOf() + 1) * spec.padToMultipleOf();
        }
        return new Vocabulary(cfg, open, List.copyOf(tokens), vocabs, out, size, filesFrom);
    }

    /** Whether this tensor's rows follow the vocabulary (the embeddings and the head, when a tokenizer is given). */
    boolean permutes(String tensorName) {
        return tokenizerJson != null && (TensorNames.isEmbeddings(tensorName) || tensorName.equals(TensorNames.HEAD));
    }

    boolean active() {
        return tokenizerJson != null;
    }

    /**
     * The checkpoint whose tokenizer files the output takes unchanged (a base or model source). A
     * union's tokenizer exists only once written, so a candidate scored in memory cannot have one.
     */
    Checkpoint existingTokenizer() {
        if (cfg.tokenizer().source().equals(TokenizerSpec.UNION)) {
            throw new IllegalArgumentException("tokenizer source union: the merged tokenizer is built when the merge is written "
                    + "(scripts/merge, MergeJob); a model scored in memory (an evolve candidate, a data-flow pool entry) uses an "
                    + "existing one: give base or a model's location");
        }
        return filesFrom;
    }

    int size() {
        return size;
    }

    /** The output tensor's spec: one row per token of the vocabulary (padded). */
    TensorSpec spec(TensorSpec reference) {
        long[] shape = reference.shape().clone();
        shape[0] = size;
        return new TensorSpec(reference.name(), reference.dtype(), shape);
    }

    /** Model {@code location}'s rows of {@code tensor} in the output vocabulary, rounded to {@code round} when given. */
    float[] rows(String location, String tensor, DType round) {
        float[] own = stored(location, tensor, round);
        int width = (int) open.apply(location).tensor(tensor).shape()[1];
        Map<String, float[]> defaults = defaultRows(tensor, round, width);
        float[] out = new float[size * width];
        Map<String, Integer> ids = vocabs.get(location);
        for (int id = 0; id < tokens.size(); id++) {
            String token = tokens.get(id);
            TokenizerSpec.TokenEmbedding rule = cfg.tokenizer().tokens().get(token);
            Integer at = ids.get(token);
            if (at != null && (rule == null || !rule.force())) {
                System.arraycopy(own, at * width, out, id * width, width);
            } else {
                System.arraycopy(defaults.get(token), 0, out, id * width, width);
            }
        }
        if (size > tokens.size()) {
            float[] mean = new float[width]; // as mergekit: padding rows are the mean of the vocabulary's rows
            for (int id = 0; id < tokens.size(); id++) {
                for (int j = 0; j < width; j++) {
                    mean[j] += out[id * width + j];
                }
            }
            for (int j = 0; j < width; j++) {
                mean[j] /= tokens.size();
            }
            for (int id = tokens.size(); id < size; id++) {
                System.arraycopy(mean, 0, out, id * width, width);
            }
        }
        return out;
    }

    private float[] stored(String location, String tensor, DType round) {
        float[] v = open.apply(location).floats(tensor);
        return round == null ? v : TensorBytes.toFloats(TensorBytes.fromFloats(v, round), round, v.length);
    }

    /** One embedding row a token's default is made of: row {@code id} of {@code model}'s tensor. */
    private record RowSource(String model, int id, String token) {
    }

    /**
     * The default row of every token some merged model lacks (or whose rule forces it), for one
     * tensor: the same for every model, so made once, reading each contributing model's tensor once
     * (mergekit computes its default embeddings once too).
     */
    private synchronized Map<String, float[]> defaultRows(String tensor, DType round, int width) {
        Map<String, float[]> cached = defaults.get(tensor);
        if (cached != null) {
            return cached;
        }
        List<String> inputs = cfg.inputs();
        Map<String, List<RowSource>> plan = new LinkedHashMap<>();
        for (String token : tokens) {
            TokenizerSpec.TokenEmbedding rule = cfg.tokenizer().tokens().get(token);
            if (rule != null && rule.force() || inputs.stream().anyMatch(m -> !vocabs.get(m).containsKey(token))) {
                plan.put(token, sources(token, rule, inputs));
            }
        }
        Map<String, float[]> rows = new HashMap<>();
        plan.keySet().forEach(token -> rows.put(token, new float[width]));
        java.util.Set<String> used = new java.util.HashSet<>();
        plan.values().forEach(list -> list.forEach(r -> used.add(r.model())));
        for (String model : inputs.stream().filter(used::contains).toList()) { // summed in the inputs' order, as before
            float[] all = stored(model, tensor, round);
            plan.forEach((token, list) -> {
                for (RowSource r : list) {
                    if (!r.model().equals(model)) {
                        continue;
                    }
                    if ((r.id() + 1L) * width > all.length) {
                        throw new CheckpointException(model, "token " + r.token()
                                + ": no embedding row in this model (the recipe's tokenizer.tokens names it)");
                    }
                    float[] row = rows.get(token);
                    for (int j = 0; j < width; j++) {
                        row[j] += all[r.id() * width + j];
                    }
                }
            });
        }
        plan.forEach((token, list) -> {
            if (list.size() > 1) {
                float[] row = rows.get(token);
                for (int j = 0; j < width; j++) {
                    row[j] /= list.size();
                }
            }
        });
        defaults.put(tensor, rows);
        return rows;
    }

    /**
     * The rows a token's default is the mean of: the rule's source ({@code zero}: none), else
     * mergekit's default: the one merged model that has it, else the base's, else every merged
     * model that has it (none: zeros, and mergekit warns).
     */
    private List<RowSource> sources(String token, TokenizerSpec.TokenEmbedding rule, List<String> inputs) {
        if (rule != null && rule.kind() != null) {
            switch (rule.kind()) {
                case "zero" -> {
                    return List.of();
                }
                case "model" -> {
                    return List.of(source(rule.model(), vocabs.getOrDefault(rule.model(), Map.of()).get(token), token));
                }
                default -> {
                    Integer id = rule.tokenId() != null ? rule.tokenId() : vocabs.getOrDefault(rule.model(), Map.of()).get(rule.token());
                    return List.of(source(rule.model(), id, rule.token() != null ? rule.token() : "#" + rule.tokenId()));
                }
            }
        }
        List<String> having = inputs.stream().filter(m -> vocabs.get(m).containsKey(token)).toList();
        String base = cfg.baseModel();
        if (having.size() > 1 && base != null && having.contains(base)) {
            having = List.of(base);
        }
        return having.stream().map(m -> source(m, vocabs.get(m).get(token), token)).toList();
    }

    private static RowSource source(String model, Integer id, String token) {
        if (id == null) {
            throw new CheckpointException(model, "token " + token + ": no embedding row in this model (the recipe's tokenizer.tokens names it)");
        }
        return new RowSource(model, id, token);
    }

    /**
     * Writes the output's tokenizer: tokenizer.json as built; tokenizer_config.json of the
     * tokenizer's source with the output's added tokens in {@code added_tokens_decoder} (when the
     * file lists them); the source's other files but those a fast tokenizer would read stale token
     * lists from (added_tokens.json, vocab.json, merges.txt, tokenizer.model: tokenizer.json holds them).
     */
    void writeFiles(Path dir) throws IOException {
        for (Path f : filesFrom.tokenizerFiles()) {
            String name = f.getFileName().toString();
            if (name.equals("tokenizer_config.json") || name.equals("special_tokens_map.json")) {
                Files.copy(f, dir.resolve(name));
            }
        }
        Files.writeString(dir.resolve("tokenizer.json"), JSON.writerWithDefaultPrettyPrinter().writeValueAsString(tokenizerJson),
                StandardCharsets.UTF_8);
        Path file = dir.resolve("tokenizer_config.json");
        if (Files.isRegularFile(file)) {
            ObjectNode config = (ObjectNode) JSON.readTree(file.toFile());
            if (config.has("added_tokens_decoder")) {
                ObjectNode decoder = JSON.createObjectNode();
                for (JsonNode t : tokenizerJson.withArray("added_tokens")) {
                    ObjectNode entry = ((ObjectNode) t).deepCopy();
                    entry.remove("id");
                    decoder.set(t.get("id").asText(), entry);
                }
                config.set("added_tokens_decoder", decoder);
                Files.writeString(file, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(config), StandardCharsets.UTF_8);
            }
        }
    }

    /** mergekit's union: the base's tokenizer, plus every model's regular tokens it lacks, then every added token it lacks. */
    private static ObjectNode union(String base, Map<String, ObjectNode> jsons, Map<String, Map<String, Integer>> vocabs) {
        ObjectNode out = jsons.get(base).deepCopy();
        Map<String, Integer> have = vocab(out, Integer.MAX_VALUE);
        LinkedHashSet<String> regular = new LinkedHashSet<>();
        Map<String, JsonNode> added = new LinkedHashMap<>();
        List<String> order = new ArrayList<>();
        order.add(base);
        jsons.keySet().stream().filter(m -> !m.equals(base)).forEach(order::add);
        for (String m : order) {
            Set<String> addedHere = new java.util.HashSet<>();
            for (JsonNode t : jsons.get(m).withArray("added_tokens")) {
                addedHere.add(t.get("content").asText());
            }
            List<Map.Entry<String, Integer>> byId = new ArrayList<>(vocabs.get(m).entrySet());
            byId.sort(Map.Entry.comparingByValue());
            for (Map.Entry<String, Integer> e : byId) {
                if (!addedHere.contains(e.getKey())) {
                    regular.add(e.getKey());
                }
            }
            for (JsonNode t : jsons.get(m).withArray("added_tokens")) {
                if (vocabs.get(m).containsKey(t.get("content").asText())) { // not past the model's vocab_size
                    added.putIfAbsent(t.get("content").asText(), t);
                }
            }
        }
        ArrayNode addedTokens = out.withArray("added_tokens");
        int next = have.size();
        for (String token : regular) {
            if (!have.containsKey(token) && !added.containsKey(token)) {
                addedTokens.add(addedToken(next++, token, false, true, false, false, false));
                have.put(token, next - 1);
            }
        }
        for (JsonNode t : added.values()) {
            String token = t.get("content").asText();
            if (!have.containsKey(token)) {
                ObjectNode copy = ((ObjectNode) t).deepCopy();
                copy.put("id", next++);
                addedTokens.add(copy);
                have.put(token, next - 1);
            }
        }
        return out;
    }

    private static ObjectNode addedToken(int id, String content, boolean singleWord, boolean normalized, boolean special,
                                         boolean lstrip, boolean rstrip) {
        ObjectNode t = JSON.createObjectNode();
        t.put("id", id);
        t.put("content", content);
        t.put("single_word", singleWord);
        t.put("lstrip", lstrip);
        t.put("rstrip", rstrip);
        t.put("normalized", normalized);
        t.put("special", special);
        return t;
    }

    /** A tokenizer.json's tokens and ids, regular and added, less ids at or past {@code vocabSize} (padding rows). */
    static Map<String, Integer> vocab(JsonNode tokenizerJson, int vocabSize) {
        Map<String, Integer> out = new LinkedHashMap<>();
        JsonNode v = tokenizerJson.path("model").path("vocab");
        if (v.isObject()) {
            v.fields().forEachRemaining(e -> {
                if (e.getValue().asInt() < vocabSize) {
                    out.put(e.getKey(), e.getValue().asInt());
                }
            });
        } else if (v.isArray()) { // Unigram: [token, score] pairs, the id is the position
            for (int i = 0; i < v.size() && i < vocabSize; i++) {
                out.put(v.get(i).get(0).asText(), i);
            }
        }
        for (JsonNode t : tokenizerJson.path("added_tokens")) {
            if (t.get("id").asInt() < vocabSize) {
                out.put(t.get("content").asText(), t.get("id").asInt());
            }
        }
        return out;
    }

    private static ObjectNode tokenizerJson(Checkpoint c, String location) {
        Path file = c.dir().resolve("tokenizer.json");
        if (!Files.isRegularFile(file)) {
            throw new CheckpointException(location, "tokenizer.json: missing (a merged vocabulary is built from fast tokenizers' "
                    + "tokenizer.json, as mergekit's)");
        }
        try {
            return (ObjectNode) JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw new CheckpointException(location, "tokenizer.json: " + e.getMessage());
        }
    }
}
