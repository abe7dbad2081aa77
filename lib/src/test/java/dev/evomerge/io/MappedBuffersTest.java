package dev.evomerge.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MappedBuffersTest {
    @TempDir
    Path tmp;

    @Test
    void anUnmappedRegionLeavesTheProcessAtOnce() throws IOException {
        Path file = tmp.resolve("weights.bin");
        Files.write(file, new byte[1 << 20]);
        try (FileChannel channel = FileChannel.open(file)) {
            ByteBuffer mapped = channel.map(FileChannel.MapMode.READ_ONLY, 0, 1 << 20);
            assertEquals(0, mapped.get(12345));
            assertTrue(mappings().contains(file.toString()), "mapped while in use");
            MappedBuffers.unmap(mapped);
            assertFalse(mappings().contains(file.toString()), "unmapped without waiting for a garbage collection");
        }
    }

    @Test
    void aHeapBufferIsLeftAlone() {
        ByteBuffer heap = ByteBuffer.allocate(8).putLong(0, 42);
        MappedBuffers.unmap(heap);
        assertEquals(42, heap.getLong(0));
    }

    private static String mappings() throws IOException {
        return Files.readString(Path.of("/proc/self/maps"));
    }
}
