package dev.evomerge.io;

import java.nio.file.Paths;
import org.apache.hadoop.fs.Path;

/**
 * Locations made absolute once, where the user's context is known, so that what travels to
 * executors (other JVMs, other machines, other working directories) means the same there. The
 * form is Hadoop's: {@code file:/abs/path}, {@code hdfs://nn/path}, {@code s3a://bucket/key}.
 */
public final class Locations {
    private Locations() {
    }

    /** A location given on a command line: one with a scheme as it is, a plain path on local disk against the working directory. */
    public static String absolute(String location) {
        if (hasScheme(location)) {
            return new Path(location).toString();
        }
        return new Path("file", null, Paths.get(location).toAbsolutePath().normalize().toString()).toString();
    }

    /**
     * A location written in a file that lies at {@code file} (absolute, see {@link #absolute}): one
     * with a scheme as it is; an absolute path on the file's own file system; a relative path
     * against the file's folder, as users expect of paths in a config file.
     *
     * @throws IllegalArgumentException when {@code location} is not a valid path or URI
     */
    public static String resolve(String file, String location) {
        if (hasScheme(location)) {
            return new Path(location).toString();
        }
        return new Path(new Path(file).getParent(), location).toString();
    }

    /** Whether a location names its scheme ({@code s3a://...}, {@code file:/...}); a Windows drive letter is no scheme. */
    public static boolean hasScheme(String location) {
        int colon = location.indexOf(':');
        int slash = location.indexOf('/');
        return colon > 1 && (slash < 0 || colon < slash);
    }
}
