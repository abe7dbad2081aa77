package dev.evomerge;

import java.nio.file.Files;
import java.nio.file.Path;

/** Paths to the project's bundled models and data, found from wherever the test runs. */
public final class Fixtures {
    private Fixtures() {
    }

    public static Path repoRoot() {
        Path p = Path.of("").toAbsolutePath();
        while (p != null && !Files.isDirectory(p.resolve("models/stories260K"))) {
            p = p.getParent();
        }
        if (p == null) {
            throw new IllegalStateException("cannot find the project root (models/stories260K) above " + Path.of("").toAbsolutePath());
        }
        return p;
    }

    public static Path model(String name) {
        return repoRoot().resolve("models").resolve(name);
    }

    public static Path data(String relative) {
        return repoRoot().resolve("data").resolve(relative);
    }
}
