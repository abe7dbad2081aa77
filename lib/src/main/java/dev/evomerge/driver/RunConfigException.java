package dev.evomerge.driver;

/** A run config that cannot be used: one line naming the file, the key and what is wrong. */
public class RunConfigException extends IllegalArgumentException {
    public RunConfigException(String file, String key, String problem) {
        super(file + ": key '" + key + "': " + problem);
    }
}
