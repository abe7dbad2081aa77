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
        String scheme = scheme(location);
        return scheme == null || scheme.equals("file");
    }

    /** The local path of a local location. */
    public static Path localPath(String location) {
        return scheme(location) == null ? Paths.get(location) : Paths.get(URI.create(location));
    }

    private static String scheme(String location) {
        int colon = location.indexOf(':');
        int slash = location.indexOf('/');
        if (colon <= 1 || (slash >= 0 && slash < colon)) {
            return null; // "models/x", "/abs", or a Windows drive letter
        }
        return location.substring(0, colon);
    }

    public FileSystem fileSystem(String location) {
        try {
            return FileSystem.get(URI.create(location), conf);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot reach " + location + ": " + e.getMessage(), e);
        }
    }

    /** A whole text file (UTF-8) at any location: configs, data sets, run state. */
    public String readString(String location) {
        try (InputStream in = fileSystem(location).open(new org.apache.hadoop.fs.Path(location))) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
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

    /**
     * Copies every file of a local directory into {@code location} (a directory URI). On object
     * stores the files appear one by one; callers write a marker last when they need to know
     * the upload finished.
     */
    public void upload(Path localDir, String location) {
        FileSystem fs = fileSystem(location);
        try (var files = Files.list(localDir)) {
            for (Path f : (Iterable<Path>) files.filter(Files::isRegularFile).sorted()::iterator) {
                org.apache.hadoop.fs.Path target = new org.apache.hadoop.fs.Path(location, f.getFileName().toString());
                try (OutputStream out = fs.create(target, true)) {
                    Files.copy(f, out);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot upload " + localDir + " to " + location + ": " + e.getMessage(), e);
        }
    }
}
