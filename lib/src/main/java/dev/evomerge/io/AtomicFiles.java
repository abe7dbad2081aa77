package dev.evomerge.io;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.function.Consumer;

/** A file that appears complete or not at all: written beside its target, then renamed over it. */
public final class AtomicFiles {
    private AtomicFiles() {
    }

    /** Runs {@code writer} on a temporary path in the target's directory, then moves it into place. */
    public static void write(Path target, Consumer<Path> writer) {
        Path absolute = target.toAbsolutePath();
        Path tmp = absolute.resolveSibling("." + absolute.getFileName() + ".partial-" + java.util.UUID.randomUUID());
        try {
            Files.createDirectories(absolute.getParent());
            writer.accept(tmp);
            Files.move(tmp, absolute, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + target + ": " + e.getMessage(), e);
        } finally {
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException ignored) {
                // best effort: the partial file is hidden and named as such
            }
        }
    }

    public static void writeString(Path target, String content) {
        write(target, tmp -> {
            try {
                Files.writeString(tmp, content);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }
}
