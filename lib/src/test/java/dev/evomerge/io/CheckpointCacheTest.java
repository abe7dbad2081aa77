package dev.evomerge.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.evomerge.Fixtures;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Checkpoints on a real S3-protocol server, read through s3a and the local cache. */
class CheckpointCacheTest {
    private static LocalS3Server s3;
    private static Storage storage;

    @TempDir
    Path tmp;

    @BeforeAll
    static void startS3() throws Exception {
        s3 = LocalS3Server.start();
        s3.createBucket("models");
        storage = new Storage(s3.hadoopConf());
    }

    @AfterAll
    static void stopS3() {
        if (s3 != null) {
            s3.close();
        }
    }

    private String uploadStories(String name, String remoteDir, boolean withPickleDecoy) throws Exception {
        Path local = Files.createDirectories(tmp.resolve("upload-" + remoteDir.replace('/', '_')));
        for (String f : List.of("config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json")) {
            Files.copy(Fixtures.model(name).resolve(f), local.resolve(f));
        }
        if (withPickleDecoy) {
            Files.write(local.resolve("pytorch_model.bin"), new byte[] {(byte) 0x80, 2});
        }
        String location = "s3a://models/" + remoteDir;
        storage.upload(local, location);
        return location;
    }

    @Test
    void aDirectoryPublishedToS3IsCompleteOrRefusedAsIncomplete() throws Exception {
        Path built = Files.createDirectories(tmp.resolve("built"));
        for (String f : List.of("config.json", "model.safetensors", "tokenizer.json")) {
            Files.copy(Fixtures.model("stories260K-ja").resolve(f), built.resolve(f));
        }
        String location = "s3a://models/published/ja";
        storage.publish(built, location);
        assertTrue(storage.isComplete(location));
        assertFalse(storage.exists(location + "/" + Storage.INCOMPLETE));
        try (Checkpoint c = Checkpoint.open(new CheckpointCache(storage, tmp.resolve("cache")).localize(location))) {
            assertEquals(260_032, c.parameterCount());
        }
        assertTrue(assertThrows(java.io.UncheckedIOException.class, () -> storage.publish(built, location)).getMessage()
                .endsWith("it already exists"), "a complete output is never overwritten");

        // What a writer that died half-way leaves: the marker it wrote first, some files, no _SUCCESS.
        String partial = "s3a://models/published/partial";
        Path half = Files.createDirectories(tmp.resolve("half"));
        Files.copy(Fixtures.model("stories260K-ja").resolve("config.json"), half.resolve("config.json"));
        Files.write(half.resolve(Storage.INCOMPLETE), new byte[0]);
        storage.fileSystem(partial).mkdirs(new org.apache.hadoop.fs.Path(partial));
        storage.fileSystem(partial).create(new org.apache.hadoop.fs.Path(partial, Storage.INCOMPLETE)).close();
        storage.upload(half, partial);
        assertFalse(storage.isComplete(partial));
        CheckpointException refused = assertThrows(CheckpointException.class,
                () -> new CheckpointCache(storage, tmp.resolve("cache")).localize(partial));
        assertEquals(partial + ": incomplete: its writer has not finished (_INCOMPLETE is there); rerun what writes it",
                refused.getMessage());
        // a rerun of the writer replaces it whole
        storage.publish(built, partial);
        assertTrue(storage.isComplete(partial));
        assertEquals(storage.listFiles(location).stream().map(f -> f.getPath().getName()).toList(),
                storage.listFiles(partial).stream().map(f -> f.getPath().getName()).toList());
    }

    @Test
    void aCheckpointOnS3IsDownloadedOnceAndReadLikeALocalOne() throws Exception {
        String location = uploadStories("stories260K", "team/stories260K", true);
        CheckpointCache cache = new CheckpointCache(storage, tmp.resolve("cache"));

        Path local = cache.localize(location);
        assertEquals(1, cache.downloads());
        assertTrue(local.startsWith(tmp.resolve("cache")));
        assertFalse(Files.exists(local.resolve("pytorch_model.bin")), "pickles beside safetensors are not copied");
        try (Checkpoint c = Checkpoint.open(local);
             SafetensorsFile original = SafetensorsFile.open(Fixtures.model("stories260K").resolve("model.safetensors"))) {
            assertEquals(260_032, c.parameterCount());
            assertEquals(original.bytes("model.embed_tokens.weight"), c.bytes("model.embed_tokens.weight"));
        }

        assertEquals(local, cache.localize(location));
        assertEquals(1, cache.downloads(), "the second load must not download again");
        // A fresh cache object over the same directory (a new task in a new JVM) finds it too.
        CheckpointCache again = new CheckpointCache(storage, tmp.resolve("cache"));
        assertEquals(local, again.localize(location));
        assertEquals(0, again.downloads());
    }

    @Test
    void concurrentAsksShareOneDownload() throws Exception {
        String location = uploadStories("stories260K-ja", "concurrent/ja", false);
        CheckpointCache cache = new CheckpointCache(storage, tmp.resolve("cache"));
        int threads = 4;
        CountDownLatch start = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<Path>> results = new ArrayList<>();
            for (int i = 0; i < threads; i++) {
                results.add(pool.submit((Callable<Path>) () -> {
                    start.await();
                    return cache.localize(location);
                }));
            }
            start.countDown();
            Path first = results.get(0).get();
            for (Future<Path> r : results) {
                assertEquals(first, r.get());
            }
        } finally {
            pool.shutdownNow();
        }
        assertEquals(1, cache.downloads());
    }

    @Test
    void aChangedRemoteCheckpointIsFetchedAgain() throws Exception {
        String location = uploadStories("stories260K-math", "changing/math", false);
        CheckpointCache cache = new CheckpointCache(storage, tmp.resolve("cache"));
        Path before = cache.localize(location);

        Path edited = Files.createDirectories(tmp.resolve("edited"));
        String config = Files.readString(Fixtures.model("stories260K-math").resolve("config.json"));
        Files.writeString(edited.resolve("config.json"), config.replace("\"max_position_embeddings\": 512", "\"max_position_embeddings\": 256"));
        storage.upload(edited, location);

        Path after = cache.localize(location);
        assertNotEquals(before, after);
        assertEquals(2, cache.downloads());
        try (Checkpoint c = Checkpoint.open(after)) {
            assertEquals(256, c.config().maxPositionEmbeddings());
        }
    }

    @Test
    void aRemotePickleIsRefusedBeforeAnythingIsCopied() throws Exception {
        Path local = Files.createDirectories(tmp.resolve("pickle"));
        Files.copy(Fixtures.model("stories260K").resolve("config.json"), local.resolve("config.json"));
        Files.write(local.resolve("pytorch_model.bin"), new byte[] {(byte) 0x80, 2});
        storage.upload(local, "s3a://models/pickled");
        CheckpointCache cache = new CheckpointCache(storage, tmp.resolve("cache"));
        CheckpointException e = assertThrows(CheckpointException.class, () -> cache.localize("s3a://models/pickled"));
        assertTrue(e.getMessage().startsWith("s3a://models/pickled: 'pytorch_model.bin' is a pickled"), e.getMessage());
        assertEquals(0, cache.downloads());
        assertFalse(Files.exists(tmp.resolve("cache")) && Files.list(tmp.resolve("cache")).anyMatch(Files::isDirectory));
    }

    @Test
    void aMissingRemoteDirectoryIsNamed() {
        CheckpointCache cache = new CheckpointCache(storage, tmp.resolve("cache"));
        CheckpointException e = assertThrows(CheckpointException.class, () -> cache.localize("s3a://models/nothing-here"));
        assertEquals("s3a://models/nothing-here: no such checkpoint directory", e.getMessage());
    }

    @Test
    void localLocationsAreUsedInPlace() {
        CheckpointCache cache = new CheckpointCache(storage, tmp.resolve("cache"));
        Path dir = Fixtures.model("stories260K");
        assertEquals(dir, cache.localize(dir.toString()));
        assertEquals(dir, cache.localize(dir.toUri().toString()));
        assertEquals(0, cache.downloads());
    }

    @Test
    void keysDifferByLocation() {
        assertNotEquals(CheckpointCache.key("s3a://a/x", List.of()), CheckpointCache.key("s3a://b/x", List.of()));
        assertTrue(CheckpointCache.key("s3a://b/my model/", List.of()).startsWith("my_model-"));
    }
}
