package dev.evomerge.io;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;

/**
 * Writes one safetensors file, streaming: the header is computed from the tensor list up
 * front (so the data offsets are known), then each tensor's bytes are written in list order.
 * Only the tensor being written is in memory. A writer closed before every tensor was written
 * deletes its partial file.
 */
public final class SafetensorsWriter implements AutoCloseable {
    /** What torch's {@code save_file} and mergekit write, and what transformers checks for. */
    public static final Map<String, String> PT_METADATA = Map.of("format", "pt");

    private final Path path;
    private final FileChannel channel;
    private final List<TensorSpec> tensors;
    private int next;
    private boolean finished;

    private SafetensorsWriter(Path path, FileChannel channel, List<TensorSpec> tensors) {
        this.path = path;
        this.channel = channel;
        this.tensors = tensors;
    }

    public static SafetensorsWriter create(Path path, List<TensorSpec> tensors) {
        return create(path, tensors, PT_METADATA);
    }

    public static SafetensorsWriter create(Path path, List<TensorSpec> tensors, Map<String, String> metadata) {
        byte[] header = SafetensorsHeader.encode(tensors, metadata);
        try {
            FileChannel channel = FileChannel.open(path, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
            ByteBuffer prefix = ByteBuffer.allocate(8 + header.length).order(ByteOrder.LITTLE_ENDIAN);
            prefix.putLong(header.length).put(header).flip();
            writeFully(channel, prefix);
            return new SafetensorsWriter(path, channel, List.copyOf(tensors));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + path + ": " + e.getMessage(), e);
        }
    }

    /** The tensor whose bytes {@link #write} expects next, or null when all are written. */
    public TensorSpec nextTensor() {
        return next < tensors.size() ? tensors.get(next) : null;
    }

    /** Writes the next tensor's bytes (little-endian, exactly its size). */
    public void write(String name, ByteBuffer data) {
        TensorSpec expected = nextTensor();
        if (expected == null || !expected.name().equals(name)) {
            throw new IllegalStateException(path + ": tensor '" + name + "' written out of order, expected "
                    + (expected == null ? "no more tensors" : "'" + expected.name() + "'"));
        }
        if (data.remaining() != expected.byteSize()) {
            throw new IllegalArgumentException(path + ": tensor '" + name + "' has " + data.remaining()
                    + " bytes, its shape and dtype need " + expected.byteSize());
        }
        try {
            writeFully(channel, data.duplicate());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + path + ": " + e.getMessage(), e);
        }
        next++;
    }

    /** Checks every tensor was written and closes the file. */
    public void finish() {
        if (nextTensor() != null) {
            throw new IllegalStateException(path + ": finished before tensor '" + nextTensor().name() + "' was written");
        }
        try {
            channel.close();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot close " + path + ": " + e.getMessage(), e);
        }
        finished = true;
    }

    @Override
    public void close() {
        if (finished) {
            return;
        }
        try {
            channel.close();
            Files.deleteIfExists(path);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot remove partial " + path + ": " + e.getMessage(), e);
        }
    }

    private static void writeFully(FileChannel channel, ByteBuffer buf) throws IOException {
        while (buf.hasRemaining()) {
            channel.write(buf);
        }
    }
}
