package dev.evomerge.driver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.evomerge.io.Storage;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.hadoop.fs.FileSystem;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** One driver per run directory: a live holder keeps it, a dead one loses it, a holder that lost it stops. */
class RunLeaseTest {
    private static final long TERM = 600; // milliseconds: short, so the waits of these tests are

    @TempDir
    Path tmp;

    private FileSystem fs() {
        return Storage.withDefaults().fileSystem(tmp.toUri().toString());
    }

    private final ByteArrayOutputStream log = new ByteArrayOutputStream();
    private final PrintStream out = new PrintStream(log, true, StandardCharsets.UTF_8);

    @Test
    void aSecondDriverGivesUpWhileTheFirstRenewsItsLease() {
        try (RunLease first = RunLease.acquire(fs(), tmp.toString(), TERM, out)) {
            long t0 = System.nanoTime();
            RunLease.HeldException e = assertThrows(RunLease.HeldException.class, () -> RunLease.acquire(fs(), tmp.toString(), TERM, out));
            double waited = (System.nanoTime() - t0) / 1e9;
            assertTrue(e.getMessage().contains("is held by a live driver " + ProcessHandle.current().pid()), e.getMessage());
            assertTrue(waited < 3 * TERM / 1e3, "gave up within about one term: " + waited + " s");
            assertTrue(log.toString(StandardCharsets.UTF_8).contains("waiting for the lease to lapse"));
            first.verify(); // the first still holds it
        }
        assertFalse(Files.exists(tmp.resolve(RunLease.FILE)), "closing gives the lease up");
    }

    @Test
    void aLeaseThatIsNotRenewedLapsesAndIsTakenOver() throws Exception {
        // another host's driver that died: its lease is never renewed
        writeLease(new RunLease.Holder("dead", "some-other-host", 1, System.currentTimeMillis() + TERM));
        long t0 = System.nanoTime();
        try (RunLease lease = RunLease.acquire(fs(), tmp.toString(), TERM, out)) {
            double waited = (System.nanoTime() - t0) / 1e9;
            assertTrue(waited >= TERM / 1e3 * 0.8 && waited < 3 * TERM / 1e3, "waited for the term to end: " + waited + " s");
            assertTrue(log.toString(StandardCharsets.UTF_8).contains("taking over the run from driver 1 on some-other-host"));
            lease.verify();
        }
    }

    @Test
    void aDeadHolderOnThisHostLosesItsLeaseAtOnce() throws Exception {
        Process gone = new ProcessBuilder("true").start();
        gone.waitFor();
        writeLease(new RunLease.Holder("dead", java.net.InetAddress.getLocalHost().getHostName(), gone.pid(),
                System.currentTimeMillis() + 3_600_000));
        long t0 = System.nanoTime();
        try (RunLease lease = RunLease.acquire(fs(), tmp.toString(), TERM, out)) {
            assertTrue((System.nanoTime() - t0) / 1e9 < TERM / 1e3, "no wait for an hour-long lease of a process that is gone");
            assertTrue(log.toString(StandardCharsets.UTF_8).contains("that process is gone"));
        }
    }

    @Test
    void aHolderWhoseLeaseWasTakenStopsBeforeWriting() throws Exception {
        try (RunLease lease = RunLease.acquire(fs(), tmp.toString(), 60_000, out)) {
            lease.verify();
            writeLease(new RunLease.Holder("usurper", "another-host", 7, System.currentTimeMillis() + 60_000));
            IllegalStateException e = assertThrows(IllegalStateException.class, lease::verify);
            assertTrue(e.getMessage().startsWith("this driver lost the lease of "), e.getMessage());
            assertTrue(e.getMessage().contains("taken over by driver 7 on another-host"), e.getMessage());
        }
        assertTrue(Files.exists(tmp.resolve(RunLease.FILE)), "closing leaves the new holder's lease alone");
        assertEquals("usurper", new ObjectMapper().readTree(tmp.resolve(RunLease.FILE).toFile()).get("id").asText());
    }

    @Test
    void theDryRunNamesALiveHolder() {
        try (RunLease ignored = RunLease.acquire(fs(), tmp.toString(), 60_000, out)) {
            assertTrue(RunLease.holder(fs(), tmp.toString()).orElseThrow().startsWith("driver " + ProcessHandle.current().pid()));
        }
        assertTrue(RunLease.holder(fs(), tmp.toString()).isEmpty());
    }

    /** Another driver's lease, written as drivers write it (through Hadoop's file system, checksum and all). */
    private void writeLease(RunLease.Holder h) throws Exception {
        try (var o = fs().create(new org.apache.hadoop.fs.Path(tmp.toString(), RunLease.FILE), true)) {
            o.write(new ObjectMapper().writeValueAsBytes(h));
        }
    }
}
