package dev.evomerge.io;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * A directory that appears complete or not at all: everything is written into a hidden
 * staging directory beside the target, which is renamed into place by {@link #commit}.
 * Closing without committing removes the staging directory, so a failed write leaves nothing.
 * A committed directory holds {@link Storage#SUCCESS}, as outputs on other file systems do
 * ({@link Storage#publish}).
 */
public final class AtomicDirectory implements AutoCloseable {
    private final Path target;
    private final Path staging;
    private boolean committed;
    private boolean replacing;

    private AtomicDirectory(Path target, Path staging) {
        this.target = target;
        this.staging = staging;
    }

    /** Starts writing {@code target}, which must not exist yet. */
    public static AtomicDirectory create(Path target) {
        Path absolute = target.toAbsolutePath();
        if (Files.exists(absolute)) {
            throw new UncheckedIOException(new FileAlreadyExistsException(absolute + " already exists"));
        }
        try {
            Files.createDirectories(absolute.getParent());
            Path staging = absolute.resolveSibling("." + absolute.getFileName() + ".partial-" + UUID.randomUUID());
            Files.createDirectory(staging);
            return new AtomicDirectory(absolute, staging);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create a staging directory for " + absolute + ": " + e.getMessage(), e);
        }
    }

    /**
     * Like {@link #create} but a target that exists is replaced at commit: the old directory is
     * moved aside and deleted only after the new one is in place.
     */
    public static AtomicDirectory createReplacing(Path target) {
        Path absolute = target.toAbsolutePath();
        if (!Files.exists(absolute)) {
            return create(absolute);
        }
        try {
            Path staging = absolute.resolveSibling("." + absolute.getFileName() + ".partial-" + UUID.randomUUID());
            Files.createDirectory(staging);
            AtomicDirectory d = new AtomicDirectory(absolute, staging);
            d.replacing = true;
            return d;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create a staging directory for " + absolute + ": " + e.getMessage(), e);
        }
    }

    /** Where to write the directory's contents until commit. */
    public Path path() {
        return staging;
    }

    public Path target() {
        return target;
    }

    /** Moves the directory into place, marked complete ({@link Storage#SUCCESS}) as every directory output is. */
    public void commit() {
        try {
            Files.write(staging.resolve(Storage.SUCCESS), new byte[0]);
            if (replacing && Files.exists(target)) {
                Path old = target.resolveSibling("." + target.getFileName() + ".old-" + UUID.randomUUID());
                Files.move(target, old, StandardCopyOption.ATOMIC_MOVE);
                Files.move(staging, target, StandardCopyOption.ATOMIC_MOVE);
                committed = true;
                deleteRecursively(old);
                return;
            }
            Files.move(staging, target, StandardCopyOption.ATOMIC_MOVE);
            committed = true;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot move " + staging + " to " + target + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        if (!committed) {
            deleteRecursively(staging);
        }
    }

    public static void deleteRecursively(Path root) {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path p : (Iterable<Path>) walk.sorted(Comparator.reverseOrder())::iterator) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete " + root + ": " + e.getMessage(), e);
        }
    }
}
