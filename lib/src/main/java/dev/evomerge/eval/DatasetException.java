package dev.evomerge.eval;

/** A dataset row that cannot be read: the message names the file, the line and what is wrong. */
public class DatasetException extends IllegalArgumentException {
    public DatasetException(String file, int line, String problem) {
        super(file + ":" + line + ": " + problem);
    }

    public DatasetException(String file, String problem) {
        super(file + ": " + problem);
    }
}
