package dev.evomerge.merge;

/** A merge configuration that cannot be used: one line naming the file and the key. */
public class MergeConfigException extends IllegalArgumentException {
    public MergeConfigException(String file, String key, String problem) {
        super(file + ": key '" + key + "': " + problem);
    }
}
