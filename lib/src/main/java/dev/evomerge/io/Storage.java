package dev.evomerge.io;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.Consumer;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;

/**
 * Every location a user names (a local path, {@code file://}, {@code hdfs://}, {@code s3a://})
 * goes through Hadoop's FileSystem, so one code path serves them all. Local locations are
 * used in place; the others are copied by {@link CheckpointCache}.
 */
public final class Storage {
    private final Configuration conf;

    public Storage(Configuration conf) {
        this.conf = conf;
    }

    /** Storage with Hadoop's defaults plus whatever {@code core-site.xml} on the classpath says. */
    public static Storage withDefaults() {
        return new Storage(new Configuration());
    }

    public Configuration conf() {
        return conf;
    }

    /** A location without a scheme, or with {@code file:}, is on local disk. */
    public static boolean isLocal(String location) {
        return !Locations.hasScheme(location) || location.startsWith("file:");
    }

    /** The local path of a local location. */
    public static Path localPath(String location) {
        return Locations.hasScheme(location) ? Paths.get(uri(location)) : Paths.get(location);
    }

    /** A location as a URI, its characters escaped where a URI needs it (a space in a local path). */
    private static URI uri(String location) {
        return new org.apache.hadoop.fs.Path(location).toUri();
    }

    public FileSystem fileSystem(String location) {
        try {
            return FileSystem.get(uri(location), conf);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot reach " + location + ": " + e.getMessage(), e);
        }
    }

    /** A whole text file (UTF-8) at any location: configs, data sets, run state. */
    public String readString(String location) {
        return new String(readBytes(location), StandardCharsets.UTF_8);
    }

    /** A whole file at any location (an image of a VQA set). */
    public byte[] readBytes(String location) {
        try (InputStream in = fileSystem(location).open(new org.apache.hadoop.fs.Path(location))) {
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + location + ": " + e.getMessage(), e);
        }
    }

    /** The plain files directly inside a directory, sorted by name. */
    public List<FileStatus> listFiles(String location) {
        FileSystem fs = fileSystem(location);
        org.apache.hadoop.fs.Path dir = new org.apache.hadoop.fs.Path(location);
        try {
            if (!fs.exists(dir)) {
                throw new CheckpointException(location, "no such checkpoint directory");
            }
            List<FileStatus> files = new ArrayList<>();
            for (FileStatus s : fs.listStatus(dir)) {
                if (s.isFile()) {
                    files.add(s);
                }
            }
            files.sort(Comparator.comparing(s -> s.getPath().getName()));
            return files;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + location + ": " + e.getMessage(), e);
        }
    }

    /** Copies one remote file to a local path, checking that the whole file arrived. */
    public void download(FileStatus remote, Path local) {
        FileSystem fs = fileSystem(remote.getPath().toString());
        try (InputStream in = fs.open(remote.getPath())) {
            long copied = Files.copy(in, local);
            if (copied != remote.getLen()) {
                throw new IOException("copied " + copied + " of " + remote.getLen() + " bytes");
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot download " + remote.getPath() + ": " + e.getMessage(), e);
        }
    }

    /** Copies every plain file of a local directory into {@code location} (a directory), one by one. */
    public void upload(Path localDir, String location) {
        FileSystem fs = fileSystem(location);
        try (var files = Files.list(localDir)) {
            for (Path f : (Iterable<Path>) files.filter(Files::isRegularFile).sorted()::iterator) {
                String name = f.getFileName().toString();
                if (!name.equals(SUCCESS) && !name.equals(INCOMPLETE)) {
                    try (OutputStream out = fs.create(new org.apache.hadoop.fs.Path(location, name), true)) {
                        Files.copy(f, out);
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot upload " + localDir + " to " + location + ": " + e.getMessage(), e);
        }
    }

    /** Written last into a directory output: the directory is complete (Hadoop's and Spark's convention). */
    public static final String SUCCESS = "_SUCCESS";
    /** Written first into a directory output on a file system without atomic renames, removed last: readers refuse it meanwhile. */
    public static final String INCOMPLETE = "_INCOMPLETE";

    /**
     * Publishes a local directory at a location off local disk (S3, where a rename is a copy;
     * HDFS) so that it is complete or visibly not: {@value #INCOMPLETE} written first, the files,
     * {@value #SUCCESS}, then {@value #INCOMPLETE} removed. (On local disk the writer renames a
     * finished directory into place: {@link AtomicDirectory}.) A partial directory left by an
     * interrupted publish is replaced; any other existing directory is refused.
     */
    public void publish(Path localDir, String location) {
        org.apache.hadoop.fs.Path target = new org.apache.hadoop.fs.Path(location);
        FileSystem fs = fileSystem(location);
        try {
            if (fs.exists(target)) {
                if (!fs.exists(new org.apache.hadoop.fs.Path(target, INCOMPLETE))) {
                    throw new IOException("it already exists");
                }
                fs.delete(target, true);
            }
            fs.mkdirs(target);
            fs.create(new org.apache.hadoop.fs.Path(target, INCOMPLETE), true).close();
            upload(localDir, location);
            fs.create(new org.apache.hadoop.fs.Path(target, SUCCESS), true).close();
            fs.delete(new org.apache.hadoop.fs.Path(target, INCOMPLETE), false);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot publish " + localDir + " as " + location + ": " + e.getMessage(), e);
        }
    }

    /**
     * Builds a directory output at {@code location}: in place when it is local ({@code build} then
     * writes it atomically itself), else in a local scratch folder published when complete.
     */
    public void writeDirectory(String location, Consumer<Path> build) {
        if (isLocal(location)) {
            build.accept(localPath(location));
            return;
        }
        Path scratch;
        try {
            scratch = Files.createTempDirectory("evomerge-out");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        try {
            Path built = scratch.resolve("out");
            build.accept(built);
            publish(built, location);
        } finally {
            AtomicDirectory.deleteRecursively(scratch);
        }
    }

    /** Whether the directory output at {@code location} is complete: its {@value #SUCCESS} marker exists. */
    public boolean isComplete(String location) {
        return exists(location + "/" + SUCCESS) && !exists(location + "/" + INCOMPLETE);
    }

    public boolean exists(String location) {
        try {
            return fileSystem(location).exists(new org.apache.hadoop.fs.Path(location));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot reach " + location + ": " + e.getMessage(), e);
        }
    }

    /** Deletes a file or a whole directory; nothing there is fine. */
    public void delete(String location) {
        try {
            fileSystem(location).delete(new org.apache.hadoop.fs.Path(location), true);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete " + location + ": " + e.getMessage(), e);
        }
    }
}
