package dev.evomerge.model;

import dev.evomerge.SyntheticCheckpoints;
import java.io.IOException;
import java.nio.file.Path;

/** Lets tests of other packages write a small random Llama checkpoint (hidden 32, 2 layers). */
public final class RandomCheckpointsAccess {
    private RandomCheckpointsAccess() {
    }

    public static Path write(Path dir) throws IOException {
        return RandomCheckpoints.write(dir, new SyntheticCheckpoints.Spec("llama", 32, 4, 2, 2, 48, 512, true, null), 1);
    }
}
