package dev.evomerge.model;

import dev.evomerge.Fixtures;
import dev.evomerge.SyntheticCheckpoints;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Small random checkpoints of each family for tests, with a real tokenizer so the generator can decode. */
final class RandomCheckpoints {
    private RandomCheckpoints() {
    }

    static Path write(Path dir, SyntheticCheckpoints.Spec s, long seed) throws IOException {
        SyntheticCheckpoints.write(dir, s, seed, 0.2, 0.1);
        // The stories260K tokenizer's vocabulary of 512 covers the small random models.
        Files.copy(Fixtures.model("stories260K").resolve("tokenizer.json"), dir.resolve("tokenizer.json"));
        Files.copy(Fixtures.model("stories260K").resolve("tokenizer_config.json"), dir.resolve("tokenizer_config.json"));
        return dir;
    }
}
