package dev.evomerge.io;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * A Hugging Face checkpoint directory on local disk: config.json, weights in one
 * {@code model.safetensors} or in shards named by {@code model.safetensors.index.json},
 * tokenizer files and an optional generation_config.json. Every shard's header is validated
 * on open; tensor data is only mapped when asked for.
 */
public final class Checkpoint implements AutoCloseable {
    /** Tokenizer files transformers reads, copied along with a merged model. */
    public static final List<String> TOKENIZER_FILES = List.of(
            "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "tokenizer.model",
            "added_tokens.json", "vocab.json", "merges.txt");

    private static final ObjectMapper JSON = new ObjectMapper();
    /** Where {@link #shardOf} keeps a VLM's own tensors, apart from the language model's LLM names. */
    private static final String VLM_OWN = "vlm:";

    private final Path dir;
    private final ModelConfig config;
    private final JsonNode generationConfig;
    private final List<SafetensorsFile> shards;
    private final Map<String, SafetensorsFile> shardOf;
    private final Map<String, TensorInfo> tensors;
    private final LlavaLayout vlm;
    private final Map<String, TensorInfo> vlmTensors;

    private Checkpoint(Path dir, ModelConfig config, JsonNode generationConfig, List<SafetensorsFile> shards,
                       Map<String, SafetensorsFile> shardOf, Map<String, TensorInfo> tensors, LlavaLayout vlm,
                       Map<String, TensorInfo> vlmTensors) {
        this.dir = dir;
        this.config = config;
        this.generationConfig = generationConfig;
        this.shards = shards;
        this.shardOf = shardOf;
        this.tensors = Collections.unmodifiableMap(tensors);
        this.vlm = vlm;
        this.vlmTensors = Collections.unmodifiableMap(vlmTensors);
    }

    /** A directory output that is still being written, or whose writer died: never read as a model. */
    static void refuseIfIncomplete(String where, List<String> names) {
        if (names.contains(Storage.INCOMPLETE)) {
            throw new CheckpointException(where, "incomplete: its writer has not finished (" + Storage.INCOMPLETE
                    + " is there); rerun what writes it");
        }
    }

    public static Checkpoint open(Path dir) {
        String where = dir.toString();
        if (!Files.isDirectory(dir)) {
            if (Files.isRegularFile(dir) && PickleGuard.isPickle(dir.getFileName().toString())) {
                throw PickleGuard.refusal(where, dir.getFileName().toString());
            }
            throw new CheckpointException(where, Files.exists(dir) ? "not a checkpoint directory"
                    : "no such checkpoint directory");
        }
        List<String> names = listFiles(dir);
        refuseIfIncomplete(where, names);
        PickleGuard.refuseIfOnlyPickles(where, names);
        Path configJson = dir.resolve("config.json");
        if (!Files.isRegularFile(configJson)) {
            throw new CheckpointException(where, "no config.json in the checkpoint directory");
        }
        JsonNode rawConfig = readOptionalJson(configJson);
        JsonNode generationConfig = readOptionalJson(dir.resolve("generation_config.json"));

        List<String> weightFiles = weightFiles(dir);
        List<SafetensorsFile> shards = new ArrayList<>();
        Map<String, SafetensorsFile> shardOf = new LinkedHashMap<>();
        Map<String, TensorInfo> tensors = new LinkedHashMap<>();
        try {
            for (String name : weightFiles) {
                SafetensorsFile shard = SafetensorsFile.open(dir.resolve(name));
                shards.add(shard);
                for (TensorInfo t : shard.tensors()) {
                    SafetensorsFile other = shardOf.put(t.name(), shard);
                    if (other != null) {
                        throw new CheckpointException(shard.path().toString(), "tensor '" + t.name()
                                + "': also in " + other.path().getFileName());
                    }
                    tensors.put(t.name(), t);
                }
            }
            checkIndexAgrees(dir, shardOf);
            if (rawConfig != null && rawConfig.isObject() && LlavaLayout.isVlm(rawConfig)) {
                return openVlm(dir, generationConfig, shards, shardOf, tensors, LlavaLayout.of(where, (ObjectNode) rawConfig,
                        tensors.keySet()));
            }
            ModelConfig config = ModelConfig.read(configJson);
            return new Checkpoint(dir, config, generationConfig, List.copyOf(shards), shardOf, tensors, null, Map.of());
        } catch (RuntimeException e) {
            shards.forEach(SafetensorsFile::close);
            throw e;
        }
    }

    /**
     * A vision-language model seen as its language model: the text_config as the config, the
     * language model's tensors under an LLM's names (what merging matches, what the engine loads),
     * the rest kept apart as the VLM's own ({@link #vlmTensors}).
     */
    private static Checkpoint openVlm(Path dir, JsonNode generationConfig, List<SafetensorsFile> shards,
                                      Map<String, SafetensorsFile> storedShardOf, Map<String, TensorInfo> stored, LlavaLayout layout) {
        ModelConfig config = layout.languageConfig(dir.resolve("config.json").toString());
        Map<String, TensorInfo> language = layout.languageTensors(stored.values());
        Map<String, SafetensorsFile> shardOf = new LinkedHashMap<>();
        Map<String, TensorInfo> own = new LinkedHashMap<>();
        for (TensorInfo t : stored.values()) {
            String name = layout.languageName(t.name());
            if (name == null) {
                own.put(t.name(), t);
                shardOf.put(VLM_OWN + t.name(), storedShardOf.get(t.name()));
            } else {
                shardOf.put(name, storedShardOf.get(t.name()));
            }
        }
        return new Checkpoint(dir, config, generationConfig, List.copyOf(shards), shardOf, language, layout, own);
    }

    /** The weight files of a checkpoint directory: the shards the index names, else the single model.safetensors. */
    public static List<String> weightFiles(Path dir) {
        Path index = dir.resolve(ShardedWriter.INDEX_FILE);
        if (Files.isRegularFile(index)) {
            JsonNode weightMap = readIndex(index).get("weight_map");
            List<String> files = new ArrayList<>();
            weightMap.fields().forEachRemaining(e -> {
                if (!files.contains(e.getValue().asText())) {
                    files.add(e.getValue().asText());
                }
            });
            Collections.sort(files);
            for (String f : files) {
                if (!Files.isRegularFile(dir.resolve(f))) {
                    throw new CheckpointException(index.toString(), "weight_map names shard '" + f + "', which does not exist");
                }
            }
            return files;
        }
        if (Files.isRegularFile(dir.resolve(ShardedWriter.SINGLE_FILE))) {
            return List.of(ShardedWriter.SINGLE_FILE);
        }
        throw new CheckpointException(dir.toString(), "no model.safetensors or model.safetensors.index.json");
    }

    private static JsonNode readIndex(Path index) {
        JsonNode node = readOptionalJson(index);
        if (node == null || !node.path("weight_map").isObject()) {
            throw new CheckpointException(index.toString(), "key 'weight_map': missing or not an object");
        }
        for (JsonNode v : (Iterable<JsonNode>) node.get("weight_map")::elements) {
            if (!v.isTextual()) {
                throw new CheckpointException(index.toString(), "key 'weight_map': value " + v + " is not a file name");
            }
        }
        return node;
    }

    /** Every tensor the index lists is in the shard it names, and no shard holds an unlisted one. */
    private static void checkIndexAgrees(Path dir, Map<String, SafetensorsFile> shardOf) {
        Path index = dir.resolve(ShardedWriter.INDEX_FILE);
        if (!Files.isRegularFile(index)) {
            return;
        }
        JsonNode weightMap = readIndex(index).get("weight_map");
        weightMap.fields().forEachRemaining(e -> {
            SafetensorsFile actual = shardOf.get(e.getKey());
            if (actual == null || !actual.path().getFileName().toString().equals(e.getValue().asText())) {
                throw new CheckpointException(index.toString(), "tensor '" + e.getKey() + "': weight_map says "
                        + e.getValue().asText() + " but it is " + (actual == null ? "in no shard" : "in " + actual.path().getFileName()));
            }
        });
        for (String name : shardOf.keySet()) {
            if (!weightMap.has(name)) {
                throw new CheckpointException(index.toString(), "tensor '" + name + "': in "
                        + shardOf.get(name).path().getFileName() + " but missing from weight_map");
            }
        }
    }

    /** JSON bytes read from {@code where}; invalid JSON is a CheckpointException naming it. */
    static JsonNode parseJson(String where, byte[] json) {
        try {
            return JSON.readTree(json);
        } catch (IOException e) {
            throw new CheckpointException(where, "not valid JSON: " + e.getMessage().replace('\n', ' '), e);
        }
    }

    /** A JSON file's tree, or null when there is no such file; invalid JSON is a CheckpointException naming it. */
    public static JsonNode readOptionalJson(Path file) {
        if (!Files.isRegularFile(file)) {
            return null;
        }
        try {
            return JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw new CheckpointException(file.toString(), "not valid JSON: " + e.getMessage().replace('\n', ' '), e);
        }
    }

    private static List<String> listFiles(Path dir) {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(Files::isRegularFile).map(p -> p.getFileName().toString()).sorted().toList();
        } catch (IOException e) {
            throw new CheckpointException(dir.toString(), "cannot list: " + e.getMessage(), e);
        }
    }

    public Path dir() {
        return dir;
    }

    public ModelConfig config() {
        return config;
    }

    /** generation_config.json, or null when the checkpoint has none. */
    public JsonNode generationConfig() {
        return generationConfig;
    }

    /** The tokenizer files present in this checkpoint. */
    public List<Path> tokenizerFiles() {
        return TOKENIZER_FILES.stream().map(dir::resolve).filter(Files::isRegularFile).toList();
    }

    public List<Path> weightFiles() {
        return shards.stream().map(SafetensorsFile::path).toList();
    }

    /** All tensors, shard by shard in header order. */
    public Map<String, TensorInfo> tensors() {
        return tensors;
    }

    public boolean contains(String name) {
        return tensors.containsKey(name);
    }

    public TensorInfo tensor(String name) {
        TensorInfo t = tensors.get(name);
        if (t == null) {
            throw new CheckpointException(dir.toString(), "tensor '" + name + "': missing from the checkpoint");
        }
        return t;
    }

    public ByteBuffer bytes(String name) {
        tensor(name);
        return shardOf.get(name).bytes(stored(name));
    }

    public float[] floats(String name) {
        tensor(name);
        return shardOf.get(name).floats(stored(name));
    }

    /** Decodes a tensor into a reused array; see {@link SafetensorsFile#readFloats}. */
    public void readFloats(String name, float[] dst) {
        tensor(name);
        shardOf.get(name).readFloats(stored(name), dst);
    }

    /** The name a tensor has in its file: a VLM's language model stores it under its own prefix. */
    private String stored(String name) {
        return vlm == null ? name : vlm.storedName(name);
    }

    /** For a vision-language model, how it stores its language model and its config; null for an LLM. */
    public LlavaLayout vlm() {
        return vlm;
    }

    /** A VLM's own tensors (vision tower, projector, image_newline) under their stored names; none for an LLM. */
    public Map<String, TensorInfo> vlmTensors() {
        return vlmTensors;
    }

    /** The stored bytes of one of {@link #vlmTensors}. */
    public ByteBuffer vlmBytes(String storedName) {
        if (!vlmTensors.containsKey(storedName)) {
            throw new CheckpointException(dir.toString(), "tensor '" + storedName + "': not one of the VLM's own tensors");
        }
        return shardOf.get(VLM_OWN + storedName).bytes(storedName);
    }

    /** Stored parameters: tied embeddings count once, as they are stored once. */
    public long parameterCount() {
        return tensors.values().stream().mapToLong(TensorInfo::numel).sum();
    }

    public long weightBytes() {
        return tensors.values().stream().mapToLong(TensorInfo::byteSize).sum();
    }

    @Override
    public void close() {
        shards.forEach(SafetensorsFile::close);
    }
}
