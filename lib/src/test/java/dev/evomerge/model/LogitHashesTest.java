package dev.evomerge.model;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.Device;
import dev.evomerge.Fixtures;
import dev.evomerge.SyntheticCheckpoints;
import dev.evomerge.io.Checkpoint;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The model computes what it computed before layer paths existed: the exact bits of the logits
 * of the three bundled models and of random checkpoints of each family (GQA, biases, untied
 * heads, a sliding window) against {@code logit-hashes.txt}, written by the model code before the
 * rewrite. Regenerate on purpose only: {@code java -cp ... dev.evomerge.model.LogitHashesTest FILE}.
 */
class LogitHashesTest {
    @TempDir
    Path tmp;

    private static final SyntheticCheckpoints.Spec[] FAMILIES = {
        new SyntheticCheckpoints.Spec("llama", 32, 4, 2, 2, 48, 512, true, null),
        new SyntheticCheckpoints.Spec("llama", 24, 3, 3, 2, 40, 512, false, null),
        new SyntheticCheckpoints.Spec("qwen2", 32, 8, 2, 2, 48, 512, false, null),
        new SyntheticCheckpoints.Spec("mistral", 32, 4, 1, 2, 48, 512, false, 4),
    };

    static List<String> lines(Path scratch) throws IOException {
        List<String> out = new ArrayList<>();
        long[] tokens = new long[12];
        SplittableRandom r = new SplittableRandom(5);
        tokens[0] = 1;
        for (int i = 1; i < tokens.length; i++) {
            tokens[i] = r.nextInt(3, 512);
        }
        List<Path> models = new ArrayList<>();
        for (String m : List.of("stories260K", "stories260K-math", "stories260K-ja")) {
            models.add(Fixtures.model(m));
        }
        for (int i = 0; i < FAMILIES.length; i++) {
            models.add(RandomCheckpoints.write(Files.createDirectories(scratch.resolve("family" + i)), FAMILIES[i], 30 + i));
        }
        for (Path dir : models) {
            try (Checkpoint c = Checkpoint.open(dir); Transformer t = Transformer.load(c, Device.cpu())) {
                out.add(dir.getFileName() + " " + hash(t.logits(tokens)));
            }
        }
        return out;
    }

    static String hash(float[] values) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            for (float v : values) {
                int b = Float.floatToRawIntBits(v);
                sha.update(new byte[] {(byte) b, (byte) (b >>> 8), (byte) (b >>> 16), (byte) (b >>> 24)});
            }
            return HexFormat.of().formatHex(sha.digest(), 0, 12);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void logitsHaveTheBitsTheyHadBeforeTheModelRanLayerPaths() throws IOException {
        List<String> expected;
        try (InputStream in = LogitHashesTest.class.getResourceAsStream("/logit-hashes.txt")) {
            expected = new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().filter(l -> !l.startsWith("#")).toList();
        }
        assertEquals(expected, lines(tmp));
    }

    public static void main(String[] args) throws IOException {
        List<String> out = new ArrayList<>(List.of("# LogitHashesTest: the first 12 bytes of the SHA-256 of each model's float32 logits",
                "# for 12 fixed tokens. Written by LogitHashesTest.main."));
        out.addAll(lines(Files.createTempDirectory("logit-hashes")));
        Files.write(Path.of(args[0]), out, StandardCharsets.UTF_8);
    }
}
