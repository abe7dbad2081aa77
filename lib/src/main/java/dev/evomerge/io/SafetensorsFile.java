package dev.evomerge.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;

/**
 * A safetensors file opened for reading. The header is validated on open; tensor data is
 * memory-mapped one tensor's byte range at a time, so files of any size work (NDList.decode
 * reads the whole file into one byte[] and fails past 2 GiB) and only what is read is paged in.
 */
public final class SafetensorsFile implements AutoCloseable {
    private final Path path;
    private final FileChannel channel;
    private final SafetensorsHeader header;

    private SafetensorsFile(Path path, FileChannel channel, SafetensorsHeader header) {
        this.path = path;
        this.channel = channel;
        this.header = header;
    }

    public static SafetensorsFile open(Path path) {
        String file = path.toString();
        FileChannel channel;
        try {
            channel = FileChannel.open(path, StandardOpenOption.READ);
        } catch (IOException e) {
            throw new CheckpointException(file, "cannot open: " + e.getMessage(), e);
        }
        try {
            long size = channel.size();
            SafetensorsHeader.checkFileSize(file, size);
            ByteBuffer prefix = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(channel, prefix, 0);
            long headerLength = SafetensorsHeader.checkHeaderLength(file, prefix.flip().getLong(0), size);
            ByteBuffer json = ByteBuffer.allocate((int) headerLength);
            readFully(channel, json, 8);
            return new SafetensorsFile(path, channel, SafetensorsHeader.parse(file, json.array(), size));
        } catch (RuntimeException | IOException e) {
            closeQuietly(channel);
            if (e instanceof CheckpointException ce) {
                throw ce;
            }
            throw new CheckpointException(file, "cannot read header: " + e.getMessage(), e);
        }
    }

    private static void readFully(FileChannel channel, ByteBuffer buf, long position) throws IOException {
        while (buf.hasRemaining()) {
            int n = channel.read(buf, position + buf.position());
            if (n < 0) {
                break; // a short read only happens on a file shorter than its header claims: caught by the caller
            }
        }
    }

    public Path path() {
        return path;
    }

    public SafetensorsHeader header() {
        return header;
    }

    /** The tensors in header order. */
    public List<TensorInfo> tensors() {
        return List.copyOf(header.tensors().values());
    }

    public Map<String, String> metadata() {
        return header.metadata();
    }

    public boolean contains(String name) {
        return header.tensors().containsKey(name);
    }

    public TensorInfo tensor(String name) {
        TensorInfo t = header.tensors().get(name);
        if (t == null) {
            throw new CheckpointException(path.toString(), "tensor '" + name + "': not in this file");
        }
        return t;
    }

    /** The raw little-endian bytes of a tensor, memory-mapped read-only. */
    public ByteBuffer bytes(String name) {
        TensorInfo t = tensor(name);
        if (t.byteSize() > Integer.MAX_VALUE) {
            throw new CheckpointException(path.toString(), "tensor '" + name + "': " + t.byteSize()
                    + " bytes is over the 2 GiB a single mapped tensor may hold");
        }
        if (t.byteSize() == 0) {
            return ByteBuffer.allocate(0).order(ByteOrder.LITTLE_ENDIAN);
        }
        try {
            return channel.map(FileChannel.MapMode.READ_ONLY, header.dataStart() + t.begin(), t.byteSize())
                    .order(ByteOrder.LITTLE_ENDIAN);
        } catch (IOException e) {
            throw new CheckpointException(path.toString(), "tensor '" + name + "': cannot map: " + e.getMessage(), e);
        }
    }

    /** A floating-point tensor widened (or narrowed, for F64) to f32, in a new array. */
    public float[] floats(String name) {
        float[] out = new float[Math.toIntExact(tensor(name).numel())];
        readFloats(name, out);
        return out;
    }

    /**
     * Decodes a floating-point tensor into the start of {@code dst}. Streaming code reuses one
     * destination across tensors: allocating (and zeroing) a fresh array per tensor costs as
     * much as the read itself.
     */
    public void readFloats(String name, float[] dst) {
        TensorInfo t = tensor(name);
        if (!t.dtype().isFloatingPoint()) {
            throw new CheckpointException(path.toString(), "tensor '" + name + "': dtype " + t.dtype()
                    + " is not a floating-point type");
        }
        if (dst.length < t.numel()) {
            throw new IllegalArgumentException("tensor '" + name + "' has " + t.numel() + " values, the array only "
                    + dst.length);
        }
        ByteBuffer mapped = bytes(name);
        TensorBytes.toFloats(mapped, t.dtype(), dst, (int) t.numel());
        MappedBuffers.unmap(mapped);
    }

    @Override
    public void close() {
        closeQuietly(channel);
    }

    private static void closeQuietly(FileChannel channel) {
        try {
            channel.close();
        } catch (IOException ignored) {
            // read-only channel: nothing to lose
        }
    }
}
