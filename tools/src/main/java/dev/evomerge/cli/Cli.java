package dev.evomerge.cli;

import dev.evomerge.io.CheckpointException;
import java.io.UncheckedIOException;

/** How every command line tool ends: a user-facing problem is one line on stderr and exit 1. */
public final class Cli {
    private Cli() {
    }

    /** Runs {@code body}; returns the exit code. */
    public static int run(Runnable body) {
        try {
            body.run();
            return 0;
        } catch (CheckpointException | UncheckedIOException | IllegalArgumentException e) {
            System.err.println("error: " + e.getMessage());
            return 1;
        }
    }
}
