package dev.evomerge.io;

/**
 * A checkpoint that cannot be used: a corrupt safetensors file, a bad config.json, a
 * pickled checkpoint, a missing tensor. The message is one line naming the file and what is
 * wrong with it, fit to print as the whole error a user sees.
 */
public class CheckpointException extends RuntimeException {
    private final String file;

    public CheckpointException(String file, String problem) {
        super(file + ": " + problem);
        this.file = file;
    }

    public CheckpointException(String file, String problem, Throwable cause) {
        super(file + ": " + problem, cause);
        this.file = file;
    }

    /** The file (or directory) the problem is in, as the user named it. */
    public String file() {
        return file;
    }
}
