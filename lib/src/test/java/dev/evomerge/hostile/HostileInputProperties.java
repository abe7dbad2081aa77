package dev.evomerge.hostile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.evomerge.Fixtures;
import dev.evomerge.driver.RunConfig;
import dev.evomerge.io.CheckpointException;
import dev.evomerge.io.DType;
import dev.evomerge.io.SafetensorsFile;
import dev.evomerge.io.SafetensorsHeader;
import dev.evomerge.io.TensorInfo;
import dev.evomerge.io.TensorSpec;
import dev.evomerge.merge.MergeConfig;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * Hostile inputs, property-based (jqwik): random and mutated safetensors files, run configs and
 * merge recipes. Whatever the input, the parsers either accept it or refuse it with their one-line
 * error (the exception types users see, a message of one line): never another exception (an index
 * out of bounds, a null pointer, a number format error), and an accepted safetensors file never
 * lets a tensor be read outside its data section. Seeds are fixed so CI is repeatable; change one to
 * explore further.
 */
class HostileInputProperties {

    /** A mutation of a byte string: overwrite bytes at random places, or cut it short. */
    private record Mutation(int[] positions, byte[] values, int cut) {
        byte[] apply(byte[] in) {
            byte[] out = in.clone();
            for (int i = 0; i < positions.length; i++) {
                out[Math.floorMod(positions[i], out.length)] = values[i];
            }
            return cut > 0 && cut < out.length ? java.util.Arrays.copyOf(out, out.length - cut) : out;
        }
    }

    @Provide
    Arbitrary<Mutation> mutations() {
        return Arbitraries.integers().between(1, 6).flatMap(n -> Combinators.combine(
                Arbitraries.integers().array(int[].class).ofSize(n),
                Arbitraries.bytes().array(byte[].class).ofSize(n),
                Arbitraries.integers().between(0, 40).injectDuplicates(0.3)).as(Mutation::new));
    }

    /** A valid two-tensor safetensors file's bytes. */
    private static byte[] validFile() {
        List<TensorSpec> specs = List.of(new TensorSpec("model.a.weight", DType.F32, new long[] {3, 4}),
                new TensorSpec("model.b.weight", DType.BF16, new long[] {5}));
        byte[] header = SafetensorsHeader.encode(specs, Map.of("format", "pt"));
        long data = specs.stream().mapToLong(TensorSpec::byteSize).sum();
        ByteBuffer b = ByteBuffer.allocate((int) (8 + header.length + data)).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(header.length).put(header);
        return b.array();
    }

    private static void assertOneLine(RuntimeException e) {
        assertTrue(e.getMessage() != null && !e.getMessage().isBlank(), "a message");
        assertEquals(1, e.getMessage().lines().count(), e.getMessage());
    }

    @Property(tries = 400, seed = "23")
    void aMutatedSafetensorsFileIsReadWithinItsBoundsOrRefusedInOneLine(@ForAll("mutations") Mutation m) throws IOException {
        byte[] bytes = m.apply(validFile());
        Path file = Files.createTempFile("hostile", ".safetensors");
        try {
            Files.write(file, bytes);
            try (SafetensorsFile f = SafetensorsFile.open(file)) {
                for (TensorInfo t : f.tensors()) {
                    assertTrue(t.begin() >= 0 && t.end() >= t.begin() && f.header().dataStart() + t.end() <= bytes.length,
                            t.name() + " lies inside the file");
                    ByteBuffer data = f.bytes(t.name());
                    assertEquals(t.end() - t.begin(), data.remaining());
                }
            } catch (CheckpointException e) {
                assertOneLine(e);
            }
        } finally {
            Files.delete(file);
        }
    }

    @Property(tries = 300, seed = "29")
    void randomBytesAreRefusedInOneLine(@ForAll byte[] bytes) throws IOException {
        Path file = Files.createTempFile("random", ".safetensors");
        try {
            Files.write(file, bytes);
            try (SafetensorsFile f = SafetensorsFile.open(file)) {
                assertTrue(f.tensors().stream().allMatch(t -> f.header().dataStart() + t.end() <= bytes.length));
            } catch (CheckpointException e) {
                assertOneLine(e);
            }
        } finally {
            Files.delete(file);
        }
    }

    /** Text mutations: characters replaced, deleted or inserted at random places. */
    private record TextMutation(int[] positions, String insert, int delete) {
        String apply(String in) {
            StringBuilder s = new StringBuilder(in);
            for (int p : positions) {
                int at = Math.floorMod(p, Math.max(1, s.length()));
                int end = Math.min(s.length(), at + delete);
                s.replace(at, end, insert);
            }
            return s.toString();
        }
    }

    @Provide
    Arbitrary<TextMutation> textMutations() {
        Arbitrary<String> inserts = Arbitraries.oneOf(Arbitraries.strings().ofMaxLength(4),
                Arbitraries.of(":", "- ", "{", "}", "[", "]", "'", "\"", "\n", "  ", "-1", "1e999", "NaN", "null", "~", "&a", "*a", "!!binary"));
        return Combinators.combine(Arbitraries.integers().array(int[].class).ofMinSize(1).ofMaxSize(3), inserts,
                Arbitraries.integers().between(0, 6)).as(TextMutation::new);
    }

    @Property(tries = 300, seed = "31")
    void aMutatedRunConfigIsReadOrRefusedInOneLine(@ForAll("textMutations") TextMutation m) throws IOException {
        String yaml = m.apply(Files.readString(Fixtures.repoRoot().resolve("conf/evolve-stories-nsga2.yaml")));
        try {
            RunConfig.parse("conf/mutated.yaml", yaml);
        } catch (IllegalArgumentException e) { // RunConfigException and the YAML reader's errors are IllegalArgumentExceptions
            assertOneLine(e);
            assertTrue(e.getMessage().startsWith("conf/mutated.yaml"), "names the file: " + e.getMessage());
        }
    }

    @Property(tries = 300, seed = "37")
    void aMutatedRecipeIsReadOrRefusedInOneLine(@ForAll("textMutations") TextMutation m) throws IOException {
        String yaml = m.apply(Files.readString(Fixtures.repoRoot().resolve("conf/merge-stories-dare-ties.yaml")) + """
                tokenizer:
                  source: union
                  tokens: {"<x>": {source: {kind: model_token, model: a, token_id: 3}, force: true}}
                  pad_to_multiple_of: 8
                chat_template: "{{ messages }}"
                """);
        try {
            MergeConfig.parse("mutated.yml", yaml);
        } catch (IllegalArgumentException e) {
            assertOneLine(e);
            assertTrue(e.getMessage().startsWith("mutated.yml"), "names the file: " + e.getMessage());
        }
    }

}
