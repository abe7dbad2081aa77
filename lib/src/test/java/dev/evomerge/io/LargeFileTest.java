package dev.evomerge.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A sparse file over 2.5 GiB: tensors past the 2 GiB mark are mapped and read correctly. */
class LargeFileTest {
    @TempDir
    Path tmp;

    @Test
    void tensorsPastTwoGibibytesAreRead() throws IOException {
        long gib = 1L << 30;
        // Three 900 MiB U8 tensors of zeros (holes in the sparse file), then 4 floats at ~2.64 GiB.
        long chunk = 900L << 20;
        StringBuilder header = new StringBuilder("{");
        for (int i = 0; i < 3; i++) {
            header.append(String.format("\"gap%d\":{\"dtype\":\"U8\",\"shape\":[%d],\"data_offsets\":[%d,%d]},",
                    i, chunk, i * chunk, (i + 1) * chunk));
        }
        long tailBegin = 3 * chunk;
        header.append(String.format("\"tail\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[%d,%d]}}",
                tailBegin, tailBegin + 16));
        byte[] json = header.toString().getBytes(StandardCharsets.UTF_8);
        Path file = tmp.resolve("big.safetensors");
        long dataStart = 8 + json.length;
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.setLength(dataStart + tailBegin + 16); // sparse: no disk used for the gaps
            ByteBuffer prefix = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(json.length);
            raf.write(prefix.array());
            raf.write(json);
            raf.seek(dataStart + tailBegin);
            raf.write(SafetensorsTestFiles.floatsLE(1f, -2f, 3.5f, 1e30f));
        }
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            assertEquals(true, f.header().dataStart() + f.tensor("tail").begin() > 2.5 * gib);
            assertArrayEquals(new float[] {1f, -2f, 3.5f, 1e30f}, f.floats("tail"));
            ByteBuffer gap = f.bytes("gap2");
            assertEquals(chunk, gap.capacity());
            assertEquals(0, gap.get((int) chunk - 1));
        }
    }
}
