package dev.evomerge.jobs;

import java.nio.file.Files;
import java.nio.file.Path;

/** The bundled models, found from wherever the jobs tests run. */
final class JobFixtures {
    private JobFixtures() {
    }

    static Path model(String name) {
        Path p = Path.of("").toAbsolutePath();
        while (!Files.isDirectory(p.resolve("models").resolve(name))) {
            p = p.getParent();
        }
        return p.resolve("models").resolve(name);
    }
}
