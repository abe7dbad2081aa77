package dev.evomerge.io;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.hadoop.fs.EtagSource;
import org.apache.hadoop.fs.FileStatus;

/**
 * Localizes checkpoint directories: a local location is used where it is; a remote one
 * (hdfs://, s3a://, ...) is copied once into the cache directory and memory-mapped from there.
 *
 * <p>The cache key hashes the location and each file's name, length, modification time and,
 * where the store has one (S3), its ETag, so a checkpoint changed remotely is fetched again under
 * a new key, even when the change kept the length and fell in the same second. Several tasks of one JVM that
 * ask at once share one download (an in-flight future per key); several JVMs on one node (one
 * executor per GPU) take a file lock per key. A copy appears by an atomic rename, so a
 * directory in the cache is always complete. Pickled weights are refused before anything is
 * copied, and foreign weight files (pickles beside safetensors, ONNX, ...) are not copied.
 */
public final class CheckpointCache {
    private final Storage storage;
    private final Path root;
    private final ConcurrentHashMap<String, CompletableFuture<Path>> inFlight = new ConcurrentHashMap<>();
    private final AtomicInteger downloads = new AtomicInteger();

    public CheckpointCache(Storage storage, Path root) {
        this.storage = storage;
        this.root = root;
    }

    /** The cache root from {@code EVOMERGE_CACHE}, else {@code ~/.cache/evomerge}. */
    public static Path defaultRoot() {
        String env = System.getenv("EVOMERGE_CACHE");
        return env != null && !env.isBlank() ? Path.of(env)
                : Path.of(System.getProperty("user.home"), ".cache", "evomerge");
    }

    /** The storage remote checkpoints are copied from. */
    public Storage storage() {
        return storage;
    }

    /** How many remote directories this cache has copied (a repeated ask costs none). */
    public int downloads() {
        return downloads.get();
    }

    /** A local directory holding the checkpoint at {@code location}. */
    public Path localize(String location) {
        if (Storage.isLocal(location)) {
            return Storage.localPath(location);
        }
        List<FileStatus> files = storage.listFiles(location);
        Checkpoint.refuseIfIncomplete(location, files.stream().map(f -> f.getPath().getName()).toList());
        PickleGuard.refuseIfOnlyPickles(location, files.stream().map(f -> f.getPath().getName()).toList());
        List<FileStatus> wanted = files.stream().filter(f -> !PickleGuard.isForeignWeights(f.getPath().getName())).toList();
        String key = key(location, wanted);
        CompletableFuture<Path> mine = new CompletableFuture<>();
        CompletableFuture<Path> existing = inFlight.putIfAbsent(key, mine);
        if (existing != null) {
            return join(existing);
        }
        try {
            mine.complete(fetch(location, key, wanted));
        } catch (RuntimeException e) {
            mine.completeExceptionally(e);
        } finally {
            inFlight.remove(key, mine);
        }
        return join(mine);
    }

    private static Path join(CompletableFuture<Path> f) {
        try {
            return f.join();
        } catch (CompletionException e) {
            throw e.getCause() instanceof RuntimeException r ? r : e;
        }
    }

    private Path fetch(String location, String key, List<FileStatus> wanted) {
        Path target = root.resolve(key);
        if (Files.isDirectory(target)) {
            return target;
        }
        try {
            Files.createDirectories(root);
            try (FileChannel lockFile = FileChannel.open(root.resolve(key + ".lock"),
                    StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                 FileLock ignored = lockFile.lock()) {
                if (Files.isDirectory(target)) {
                    return target; // another JVM finished it while we waited
                }
                try (AtomicDirectory staging = AtomicDirectory.create(target)) {
                    for (FileStatus f : wanted) {
                        storage.download(f, staging.path().resolve(f.getPath().getName()));
                    }
                    staging.commit();
                }
                downloads.incrementAndGet();
                return target;
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot cache " + location + " in " + root + ": " + e.getMessage(), e);
        }
    }

    /** Readable and unique: the directory's last name, then a hash of location and file stats. */
    static String key(String location, List<FileStatus> files) {
        String trimmed = location.replaceAll("/+$", "");
        StringBuilder s = new StringBuilder(trimmed).append('\n');
        for (FileStatus f : files) {
            s.append(f.getPath().getName()).append('\t').append(f.getLen()).append('\t')
                    .append(f.getModificationTime()).append('\t')
                    .append(f instanceof EtagSource e ? e.getEtag() : "").append('\n');
        }
        String name = trimmed.substring(trimmed.lastIndexOf('/') + 1).replaceAll("[^A-Za-z0-9._-]", "_");
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(s.toString().getBytes(StandardCharsets.UTF_8));
            return name + "-" + HexFormat.of().formatHex(digest, 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
