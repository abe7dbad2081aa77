package dev.evomerge.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Builds safetensors files byte by byte, independently of the writer under test. */
final class SafetensorsTestFiles {
    private SafetensorsTestFiles() {
    }

    /** Length prefix + the header text as given (no padding) + the data bytes. */
    static Path craft(Path file, String headerJson, byte[] data) throws IOException {
        return craft(file, headerJson.getBytes(StandardCharsets.UTF_8).length, headerJson, data);
    }

    /** Like {@link #craft(Path, String, byte[])} but with a chosen (possibly lying) length prefix. */
    static Path craft(Path file, long declaredLength, String headerJson, byte[] data) throws IOException {
        byte[] header = headerJson.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + header.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(declaredLength).put(header).put(data);
        Files.write(file, b.array());
        return file;
    }

    static byte[] floatsLE(float... values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) {
            b.putFloat(v);
        }
        return b.array();
    }
}
