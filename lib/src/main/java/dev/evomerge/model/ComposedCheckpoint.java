package dev.evomerge.model;

import ai.djl.Device;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.evomerge.io.Checkpoint;
import dev.evomerge.io.CheckpointException;
import dev.evomerge.io.SafetensorsFile;
import dev.evomerge.io.TensorInfo;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * A trained composition on disk: {@code composition.json} names the two parent checkpoints (by
 * location and the SHA-256 of their config.json and weight files) with the layer pairs and heads,
 * and {@code composition.safetensors} holds only the new weights; the parents are read from where
 * they are. Opening checks that each parent is still the one the composition was trained with:
 * its cross-attentions are meaningless over other weights.
 */
public final class ComposedCheckpoint {
    public static final String CONFIG = "composition.json";
    public static final String WEIGHTS = "composition.safetensors";
    public static final String FORMAT = "evomerge-composition";
    private static final ObjectMapper JSON = new ObjectMapper();

    private ComposedCheckpoint() {
    }

    /** Whether {@code dir} holds a composition (rather than a model). */
    public static boolean isComposition(Path dir) {
        return Files.isRegularFile(dir.resolve(CONFIG));
    }

    /** A composition loaded: both parents' models and the composition over them, closed together. */
    public record Loaded(Checkpoint anchorFiles, Checkpoint augmentingFiles, Transformer anchor, Transformer augmenting,
                         Composition composition) implements AutoCloseable {
        @Override
        public void close() {
            composition.close();
            augmenting.close();
            anchor.close();
            augmentingFiles.close();
            anchorFiles.close();
        }
    }

    /**
     * Writes {@code composition}'s config and new weights into {@code dir} (an existing staging
     * directory): the parents as {@code anchor} and {@code augmenting} locations, their hashes, and
     * {@code extra} (what trained it) under "training".
     */
    public static void write(Path dir, Composition composition, String anchor, Checkpoint anchorFiles, String augmenting,
                             Checkpoint augmentingFiles, ObjectNode extra) throws IOException {
        ObjectNode c = JSON.createObjectNode();
        c.put("format", FORMAT);
        c.set("anchor", parent(anchor, anchorFiles));
        c.set("augmenting", parent(augmenting, augmentingFiles));
        ArrayNode pairs = c.putArray("pairs");
        composition.pairs().forEach(p -> pairs.addArray().add(p.anchorLayer()).add(p.augmentingLayer()));
        c.put("heads", composition.heads());
        c.set("training", extra);
        Files.writeString(dir.resolve(CONFIG), c.toPrettyString() + "\n");
        DeviceTensors.writeFloats(dir.resolve(WEIGHTS), composition.tensors());
    }

    private static ObjectNode parent(String location, Checkpoint files) {
        ObjectNode p = JSON.createObjectNode();
        p.put("location", location);
        p.put("sha256", contentHash(files.dir()));
        return p;
    }

    /**
     * Opens the composition in {@code dir}; {@code localize} turns a parent's location into a local
     * checkpoint directory (the checkpoint cache's, for remote ones).
     */
    public static Loaded open(Path dir, Function<String, Path> localize, Device device) {
        String where = dir.resolve(CONFIG).toString();
        JsonNode c = Checkpoint.readOptionalJson(dir.resolve(CONFIG));
        if (c == null || !FORMAT.equals(c.path("format").asText())) {
            throw new CheckpointException(where, "not an evomerge composition (format: " + FORMAT + ")");
        }
        List<Composition.Pair> pairs = new ArrayList<>();
        for (JsonNode p : c.path("pairs")) {
            pairs.add(new Composition.Pair(p.get(0).asInt(), p.get(1).asInt()));
        }
        Checkpoint a = parentCheckpoint(where, c, "anchor", localize);
        Checkpoint b = null;
        Transformer anchor = null;
        Transformer augmenting = null;
        try {
            b = parentCheckpoint(where, c, "augmenting", localize);
            anchor = Transformer.load(a, device);
            augmenting = Transformer.load(b, device);
            Map<String, float[]> weights = new LinkedHashMap<>();
            try (SafetensorsFile f = SafetensorsFile.open(dir.resolve(WEIGHTS))) {
                for (TensorInfo t : f.tensors()) {
                    weights.put(t.name(), f.floats(t.name()));
                }
            }
            return new Loaded(a, b, anchor, augmenting, Composition.of(anchor, augmenting, pairs, c.path("heads").asInt(), weights));
        } catch (RuntimeException e) {
            for (AutoCloseable x : new AutoCloseable[] {augmenting, anchor, b, a}) {
                try {
                    if (x != null) {
                        x.close();
                    }
                } catch (Exception ignored) {
                    // the first failure is the one to report
                }
            }
            throw e;
        }
    }

    /** A parent checkpoint, refused in one line when its content is not what the composition was trained on. */
    private static Checkpoint parentCheckpoint(String where, JsonNode c, String role, Function<String, Path> localize) {
        String location = c.path(role).path("location").asText();
        String expected = c.path(role).path("sha256").asText();
        Path local = localize.apply(location);
        String actual = contentHash(local);
        if (!actual.equals(expected)) {
            throw new CheckpointException(where, role + " " + location + " has changed since the composition was trained "
                    + "(sha256 " + expected.substring(0, 12) + ", now " + actual.substring(0, 12) + "): compose it again");
        }
        return Checkpoint.open(local);
    }

    /** SHA-256 over a checkpoint's config.json and its weight files, in order: what its computation depends on. */
    public static String contentHash(Path dir) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            List<String> files = new ArrayList<>(List.of("config.json"));
            files.addAll(Checkpoint.weightFiles(dir));
            byte[] buffer = new byte[1 << 20];
            for (String f : files) {
                sha.update(f.getBytes(java.nio.charset.StandardCharsets.UTF_8));
                try (InputStream in = Files.newInputStream(dir.resolve(f))) {
                    for (int n = in.read(buffer); n > 0; n = in.read(buffer)) {
                        sha.update(buffer, 0, n);
                    }
                }
            }
            return HexFormat.of().formatHex(sha.digest());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + dir + ": " + e.getMessage(), e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
