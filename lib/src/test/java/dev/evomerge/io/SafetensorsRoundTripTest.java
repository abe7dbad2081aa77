package dev.evomerge.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsRoundTripTest {
    @TempDir
    Path tmp;

    @Test
    void everyDtypeRoundTripsItsBytes() throws IOException {
        SplittableRandom rnd = new SplittableRandom(1);
        List<TensorSpec> specs = new ArrayList<>();
        List<byte[]> payloads = new ArrayList<>();
        for (DType d : DType.values()) {
            TensorSpec spec = new TensorSpec("t." + d.name().toLowerCase(), d, new long[] {3, 5});
            byte[] bytes = new byte[(int) spec.byteSize()];
            rnd.nextBytes(bytes);
            if (d == DType.BOOL) {
                for (int i = 0; i < bytes.length; i++) {
                    bytes[i] &= 1;
                }
            }
            specs.add(spec);
            payloads.add(bytes);
        }
        Path file = tmp.resolve("all.safetensors");
        try (SafetensorsWriter w = SafetensorsWriter.create(file, specs)) {
            for (int i = 0; i < specs.size(); i++) {
                w.write(specs.get(i).name(), ByteBuffer.wrap(payloads.get(i)));
            }
            w.finish();
        }
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            assertEquals(Map.of("format", "pt"), f.metadata());
            assertEquals(specs.size(), f.tensors().size());
            for (int i = 0; i < specs.size(); i++) {
                TensorInfo t = f.tensor(specs.get(i).name());
                assertEquals(specs.get(i).dtype(), t.dtype());
                assertArrayEquals(new long[] {3, 5}, t.shape());
                ByteBuffer got = f.bytes(t.name());
                byte[] gotBytes = new byte[got.remaining()];
                got.get(gotBytes);
                assertArrayEquals(payloads.get(i), gotBytes, t.name());
            }
        }
    }

    @Test
    void floatTensorsComeBackAsTheFloatsThatWereEncoded() throws IOException {
        float[] values = {0f, 1f, -2.5f, 3.140625f, 65504f, 1e-3f};
        Path file = tmp.resolve("floats.safetensors");
        List<TensorSpec> specs = Stream.of(DType.F32, DType.F16, DType.BF16, DType.F64)
                .map(d -> new TensorSpec(d.name(), d, new long[] {values.length})).toList();
        try (SafetensorsWriter w = SafetensorsWriter.create(file, specs)) {
            for (TensorSpec s : specs) {
                w.write(s.name(), TensorBytes.fromFloats(values, s.dtype()));
            }
            w.finish();
        }
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            assertArrayEquals(values, f.floats("F32"));
            assertArrayEquals(values, f.floats("F64"));
            float[] expectedF16 = new float[values.length];
            float[] expectedBf16 = new float[values.length];
            for (int i = 0; i < values.length; i++) {
                expectedF16[i] = HalfFloats.f16ToF32(HalfFloats.f32ToF16(values[i]));
                expectedBf16[i] = HalfFloats.bf16ToF32(HalfFloats.f32ToBf16(values[i]));
            }
            assertArrayEquals(expectedF16, f.floats("F16"));
            assertArrayEquals(expectedBf16, f.floats("BF16"));
            // 3.140625 and 65504 are exact in f16; 1e-3 is not: the bytes hold the rounded value.
            assertEquals(3.140625f, f.floats("F16")[3]);
            assertEquals(0.0010004044f, f.floats("F16")[5]);
        }
    }

    @Test
    void headerBytesAreExactlyTheSpecs() throws IOException {
        Path file = tmp.resolve("one.safetensors");
        try (SafetensorsWriter w = SafetensorsWriter.create(file, List.of(new TensorSpec("a", DType.F32, new long[] {2})))) {
            w.write("a", ByteBuffer.wrap(SafetensorsTestFiles.floatsLE(1f, 2f)));
            w.finish();
        }
        String json = "{\"__metadata__\":{\"format\":\"pt\"},\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}";
        // 85 bytes of JSON, padded with 3 spaces to 88, the next multiple of 8.
        assertEquals(85, json.length());
        byte[] expected = new byte[8 + 88 + 8];
        ByteBuffer b = ByteBuffer.wrap(expected).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(88).put((json + "   ").getBytes(StandardCharsets.US_ASCII)).put(SafetensorsTestFiles.floatsLE(1f, 2f));
        assertArrayEquals(expected, Files.readAllBytes(file));
    }

    @Test
    void shardedWriteReadsBackThroughTheIndex() throws IOException {
        List<TensorSpec> specs = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            specs.add(new TensorSpec("model.layers." + i + ".w", DType.F32, new long[] {10, 10})); // 400 bytes each
        }
        // 1000-byte shards: 400+400 fit, a third would not -> [0,1] [2,3] [4].
        assertEquals(List.of(2, 2, 1), ShardedWriter.planShards(specs, 1000).stream().map(List::size).toList());
        Path dir = tmp.resolve("ckpt");
        Files.createDirectory(dir);
        Files.copy(dev.evomerge.Fixtures.model("stories260K").resolve("config.json"), dir.resolve("config.json"));
        try (ShardedWriter w = new ShardedWriter(dir, specs, 1000)) {
            for (int i = 0; i < specs.size(); i++) {
                float[] v = new float[100];
                Arrays.fill(v, i);
                w.write(specs.get(i).name(), TensorBytes.fromFloats(v, DType.F32));
            }
            w.finish();
        }
        for (int i = 1; i <= 3; i++) {
            assertTrue(Files.exists(dir.resolve("model-0000" + i + "-of-00003.safetensors")));
        }
        assertFalse(Files.exists(dir.resolve("model.safetensors")));
        JsonNode index = new ObjectMapper().readTree(dir.resolve("model.safetensors.index.json").toFile());
        assertEquals(2000, index.at("/metadata/total_size").asLong());
        assertEquals("model-00002-of-00003.safetensors", index.at("/weight_map/model.layers.3.w").asText());
        assertEquals("model-00003-of-00003.safetensors", index.at("/weight_map/model.layers.4.w").asText());
        try (Checkpoint c = Checkpoint.open(dir)) {
            assertEquals(500, c.parameterCount());
            assertEquals(3, c.weightFiles().size());
            for (int i = 0; i < 5; i++) {
                float[] v = c.floats("model.layers." + i + ".w");
                assertEquals(100, v.length);
                assertEquals(i, v[99]);
            }
        }
    }

    @Test
    void aTensorLargerThanTheShardLimitGetsAShardOfItsOwn() {
        List<TensorSpec> specs = List.of(
                new TensorSpec("small", DType.F32, new long[] {10}),
                new TensorSpec("huge", DType.F32, new long[] {1000}),
                new TensorSpec("small2", DType.F32, new long[] {10}));
        assertEquals(List.of(1, 1, 1), ShardedWriter.planShards(specs, 100).stream().map(List::size).toList());
    }

    @Test
    void aSingleShardIsPlainModelSafetensorsWithoutIndex() throws IOException {
        Path dir = Files.createDirectory(tmp.resolve("single"));
        List<TensorSpec> specs = List.of(new TensorSpec("x", DType.BF16, new long[] {4}));
        try (ShardedWriter w = new ShardedWriter(dir, specs, ShardedWriter.DEFAULT_MAX_SHARD_BYTES)) {
            w.write("x", TensorBytes.fromFloats(new float[] {1, 2, 3, 4}, DType.BF16));
            w.finish();
        }
        try (var files = Files.list(dir)) {
            assertEquals(List.of("model.safetensors"), files.map(p -> p.getFileName().toString()).toList());
        }
    }

    @Test
    void anUnfinishedFileIsDeletedAndAFailedDirectoryLeavesNothing() throws IOException {
        Path target = tmp.resolve("out/model");
        List<TensorSpec> specs = List.of(new TensorSpec("a", DType.F32, new long[] {2}),
                new TensorSpec("b", DType.F32, new long[] {2}));
        assertThrows(IllegalStateException.class, () -> {
            try (AtomicDirectory out = AtomicDirectory.create(target);
                 ShardedWriter w = new ShardedWriter(out.path(), specs, 1 << 20)) {
                w.write("a", ByteBuffer.wrap(SafetensorsTestFiles.floatsLE(1, 2)));
                throw new IllegalStateException("merge failed half-way");
            }
        });
        assertFalse(Files.exists(target));
        try (var left = Files.list(tmp.resolve("out"))) {
            assertEquals(0, left.count(), "no staging directory may be left behind");
        }
        Path lone = tmp.resolve("lone.safetensors");
        try (SafetensorsWriter w = SafetensorsWriter.create(lone, specs)) {
            w.write("a", ByteBuffer.wrap(SafetensorsTestFiles.floatsLE(1, 2)));
            assertThrows(IllegalStateException.class, w::finish);
        }
        assertFalse(Files.exists(lone));
    }

    @Test
    void writerRefusesWrongOrderAndWrongSize() throws IOException {
        List<TensorSpec> specs = List.of(new TensorSpec("a", DType.F32, new long[] {2}));
        try (SafetensorsWriter w = SafetensorsWriter.create(tmp.resolve("x.safetensors"), specs)) {
            assertThrows(IllegalStateException.class, () -> w.write("b", ByteBuffer.allocate(8)));
            assertThrows(IllegalArgumentException.class, () -> w.write("a", ByteBuffer.allocate(7)));
        }
    }
}
