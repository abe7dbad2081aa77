package dev.evomerge.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class LocationsTest {

    @Test
    void aPlainPathOnACommandLineIsLocalAgainstTheWorkingDirectory() {
        String cwd = Path.of("").toAbsolutePath().toString();
        assertEquals("file:" + cwd + "/runs/x", Locations.absolute("runs/x"));
        assertEquals("file:" + cwd + "/runs/x", Locations.absolute("runs/./y/../x/"));
        assertEquals("file:/a b/c", Locations.absolute("/a b/c")); // kept readable, a space and all
        assertEquals("s3a://bucket/key", Locations.absolute("s3a://bucket/key"));
        assertEquals("file:/", Locations.absolute("/"));
    }

    @Test
    void aLocationInAFileIsTakenFromThatFilesFolderOnItsFileSystem() {
        assertEquals("file:/repo/models/m", Locations.resolve("file:/repo/conf/run.yaml", "../models/m"));
        assertEquals("file:/data/d.tsv", Locations.resolve("file:/repo/conf/run.yaml", "/data/d.tsv"));
        assertEquals("s3a://b/confs/d.tsv", Locations.resolve("s3a://b/confs/run.yaml", "d.tsv"));
        assertEquals("s3a://b/d.tsv", Locations.resolve("s3a://b/confs/run.yaml", "/d.tsv"));
        assertEquals("hdfs://nn:8020/m", Locations.resolve("s3a://b/confs/run.yaml", "hdfs://nn:8020/m"));
    }

    @Test
    void aWindowsDriveLetterIsNoScheme() {
        assertTrue(Locations.hasScheme("s3a://b/k"));
        assertTrue(Locations.hasScheme("file:/x"));
        assertFalse(Locations.hasScheme("C:/models"));
        assertFalse(Locations.hasScheme("models/a:b"));
    }
}
