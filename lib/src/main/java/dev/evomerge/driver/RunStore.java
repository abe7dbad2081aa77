package dev.evomerge.driver;

import dev.evomerge.io.Storage;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.TreeMap;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * A run's output directory on any Hadoop file system: {@code checkpoint/} (one state file per
 * completed generation), {@code best/}, {@code report.md} and {@code fitness.png}. Every file is
 * written beside its target under a name readers skip ({@code _tmp-...}) and renamed into place,
 * so a reader (or a resumed driver) never sees half a file.
 */
public final class RunStore {
    private final Storage storage;
    private final String out;
    private final FileSystem fs;

    public RunStore(Storage storage, String out) {
        this.storage = storage;
        this.out = out.endsWith("/") ? out.substring(0, out.length() - 1) : out;
        this.fs = storage.fileSystem(this.out);
    }

    public String location(String child) {
        return out + "/" + child;
    }

    public Storage storage() {
        return storage;
    }

    public FileSystem fileSystem() {
        return fs;
    }

    /** {@code generation-00003.json}: how per-generation files are named, here and in the result tables. */
    public static String generationFile(int generation, String extension) {
        return String.format(Locale.ROOT, "generation-%05d.%s", generation, extension);
    }

    /** The generation a {@link #generationFile} name stands for; empty for any other name. */
    public static OptionalInt generationOf(String fileName, String extension) {
        String suffix = "." + extension;
        if (!fileName.matches("generation-\\d+" + java.util.regex.Pattern.quote(suffix))) {
            return OptionalInt.empty();
        }
        return OptionalInt.of(Integer.parseInt(fileName.substring("generation-".length(), fileName.length() - suffix.length())));
    }

    public boolean exists(String child) {
        return storage.exists(location(child));
    }

    /** The state after the last completed generation, if any. */
    public Optional<RunState> latest() {
        TreeMap<Integer, Path> states = new TreeMap<>();
        Path dir = new Path(location("checkpoint"));
        try {
            if (!fs.exists(dir)) {
                return Optional.empty();
            }
            for (FileStatus s : fs.listStatus(dir)) {
                generationOf(s.getPath().getName(), "json").ifPresent(g -> states.put(g, s.getPath()));
            }
            if (states.isEmpty()) {
                return Optional.empty();
            }
            Path last = states.lastEntry().getValue();
            return Optional.of(RunState.fromJson(last.toString(), storage.readString(last.toString())));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + dir + ": " + e.getMessage(), e);
        }
    }

    public void writeCheckpoint(RunState state) {
        write("checkpoint/" + generationFile(state.generation(), "json"), state.toJson().getBytes(StandardCharsets.UTF_8));
    }

    /** Writes {@code child} atomically: a temporary sibling, then a rename. */
    public void write(String child, byte[] content) {
        Path target = new Path(location(child));
        Path tmp = new Path(target.getParent(), "_tmp-" + target.getName());
        try {
            fs.mkdirs(target.getParent());
            try (OutputStream o = fs.create(tmp, true)) {
                o.write(content);
            }
            fs.delete(target, false);
            if (!fs.rename(tmp, target)) {
                throw new IOException("rename of " + tmp + " failed");
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + target + ": " + e.getMessage(), e);
        }
    }

    public String readString(String child) {
        return storage.readString(location(child));
    }
}
