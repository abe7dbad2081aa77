package dev.evomerge.driver;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Locale;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.hadoop.fs.FileAlreadyExistsException;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * One driver per run directory at a time: a lease, {@code _lease.json} in the run directory,
 * naming its holder (a random id, the host and the process) and when it ends. The holder renews
 * it every third of its term. Another driver that finds it unexpired waits for it to end: a dead
 * holder's lease lapses within one term and is taken over; a live holder renews it, and the
 * newcomer gives up with an error naming the holder. (A holder on the same host whose process is
 * gone has lost its lease at once.) This is what stops an Airflow retry from running beside a
 * driver that still lives.
 *
 * <p>Because object stores have no atomic create-if-absent, and a paused driver can outlive its
 * term, the holder also checks before each write of run state ({@link #verify}) that the lease
 * is still its own, and stops if it is not. Terms are compared across hosts by wall clock: the
 * clocks must agree to well under a term.
 */
public final class RunLease implements AutoCloseable {
    /** The default term; a dead driver's run is taken over at most this long after it died. */
    public static final int DEFAULT_SECONDS = 60;
    static final String FILE = "_lease.json";

    /** Who holds the lease and until when (epoch milliseconds). */
    record Holder(String id, String host, long pid, long expires) {
        boolean expired(long now) {
            return now >= expires;
        }

        boolean deadOnThisHost() {
            return host.equals(thisHost()) && ProcessHandle.of(pid).map(p -> !p.isAlive()).orElse(true);
        }

        String describe() {
            return "driver " + pid + " on " + host + " (lease until " + Instant.ofEpochMilli(expires) + ")";
        }
    }

    /** The run directory is held by another driver that is alive. */
    public static final class HeldException extends IllegalStateException {
        HeldException(String message) {
            super(message);
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    private final FileSystem fs;
    private final Path file;
    private final long termMillis;
    private final String id = UUID.randomUUID().toString();
    private final ScheduledExecutorService renewer;
    private volatile long expires;
    private volatile String lost;

    private RunLease(FileSystem fs, Path file, long termMillis) {
        this.fs = fs;
        this.file = file;
        this.termMillis = termMillis;
        this.renewer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "evomerge-lease-renewer");
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * Takes the lease of the run directory {@code dir} for terms of {@code termMillis}, waiting (at
     * most about one term) for another driver's lease to lapse; says on {@code log} when it waits.
     *
     * @throws HeldException when the other driver renews its lease meanwhile
     */
    public static RunLease acquire(FileSystem fs, String dir, long termMillis, PrintStream log) {
        RunLease lease = new RunLease(fs, new Path(dir, FILE), termMillis);
        try {
            lease.take(log);
        } catch (RuntimeException e) {
            lease.renewer.shutdownNow();
            throw e;
        }
        long period = Math.max(1, termMillis / 3);
        lease.renewer.scheduleAtFixedRate(lease::renew, period, period, TimeUnit.MILLISECONDS);
        return lease;
    }

    /** The current holder of {@code dir}'s lease, if one holds it unexpired. */
    public static java.util.Optional<String> holder(FileSystem fs, String dir) {
        Holder h = read(fs, new Path(dir, FILE));
        return h == null || h.expired(System.currentTimeMillis()) ? java.util.Optional.empty()
                : java.util.Optional.of(h.describe());
    }

    private void take(PrintStream log) {
        Holder waitingFor = null;
        while (true) {
            Holder h = read(fs, file);
            long now = System.currentTimeMillis();
            if (h == null) {
                if (create()) {
                    return;
                }
                continue; // another driver created it first: look at it
            }
            if (h.id().equals(id)) {
                return;
            }
            if (h.expired(now) || h.deadOnThisHost()) {
                log.println("taking over the run from " + h.describe() + (h.expired(now) ? ": its lease expired" : ": that process is gone"));
                delete();
                continue;
            }
            if (waitingFor == null) {
                waitingFor = h;
                log.println("the run directory is held by " + h.describe() + "; waiting for the lease to lapse");
            } else if (!h.id().equals(waitingFor.id()) || h.expires() != waitingFor.expires()) {
                throw new HeldException(file.getParent() + " is held by a live " + h.describe() + ": it renewed its lease while "
                        + "this driver waited; two drivers on one run directory would overwrite each other (wait for it to finish, "
                        + "or stop it)");
            }
            sleep(Math.min(Math.max(50, h.expires() - now + 50), 1000));
        }
    }

    /** Writes a new lease if none exists (atomically where the file system can), and checks it is the one that stuck. */
    private boolean create() {
        expires = System.currentTimeMillis() + termMillis;
        try (OutputStream o = fs.create(file, false)) {
            o.write(json(new Holder(id, thisHost(), ProcessHandle.current().pid(), expires)));
        } catch (FileAlreadyExistsException e) {
            return false;
        } catch (IOException e) {
            if (exists()) {
                return false;
            }
            throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
        }
        Holder now = read(fs, file);
        return now != null && now.id().equals(id);
    }

    private void renew() {
        try {
            Holder h = read(fs, file);
            if (h != null && !h.id().equals(id)) {
                lost = "taken over by " + h.describe();
                renewer.shutdown();
                return;
            }
            long next = System.currentTimeMillis() + termMillis;
            try (OutputStream o = fs.create(file, true)) {
                o.write(json(new Holder(id, thisHost(), ProcessHandle.current().pid(), next)));
            }
            expires = next;
        } catch (IOException | RuntimeException e) {
            // A storage hiccup: the next tick tries again; verify() fails once the term has run out.
            System.err.println("warning: cannot renew the lease " + file + ": " + e.getMessage());
        }
    }

    /**
     * Checks, before the holder writes run state, that the lease is still its own.
     *
     * @throws IllegalStateException when it was lost (another driver took over, or the term ran out unrenewed)
     */
    public void verify() {
        Holder h = read(fs, file);
        if (lost == null && (h == null || !h.id().equals(id))) {
            lost = h == null ? "its file is gone" : "taken over by " + h.describe();
        }
        if (lost == null && System.currentTimeMillis() >= expires) {
            lost = String.format(Locale.ROOT, "not renewed within its term of %.0f s", termMillis / 1e3);
        }
        if (lost != null) {
            throw new IllegalStateException("this driver lost the lease of " + file.getParent() + " (" + lost
                    + "); it stops before writing, so the run is not written twice");
        }
    }

    /** Gives the lease up: the next driver on this run directory starts at once. */
    @Override
    public void close() {
        renewer.shutdownNow();
        try {
            renewer.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        Holder h = read(fs, file);
        if (h != null && h.id().equals(id)) {
            delete();
        }
    }

    private static Holder read(FileSystem fs, Path file) {
        for (int attempt = 0; ; attempt++) {
            try (InputStream in = fs.open(file)) {
                return JSON.readValue(new String(in.readAllBytes(), StandardCharsets.UTF_8), Holder.class);
            } catch (FileNotFoundException e) {
                return null;
            } catch (JsonProcessingException e) {
                // A local file system shows a lease while it is being rewritten; read it again. One
                // that stays unreadable is no one's lease.
                if (attempt == 20) {
                    return new Holder("unreadable", "", -1, 0);
                }
                sleep(25);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
            }
        }
    }

    private boolean exists() {
        try {
            return fs.exists(file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot reach " + file + ": " + e.getMessage(), e);
        }
    }

    private void delete() {
        try {
            fs.delete(file, false);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete " + file + ": " + e.getMessage(), e);
        }
    }

    private static byte[] json(Holder h) {
        try {
            return JSON.writeValueAsBytes(h);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static final String HOST = hostName();

    private static String thisHost() {
        return HOST;
    }

    private static String hostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            return "unknown-host";
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the run's lease", e);
        }
    }
}
