package dev.evomerge.executor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class CandidatePoolTest {
    static final class Thing implements AutoCloseable {
        boolean closed;

        @Override
        public void close() {
            closed = true;
        }
    }

    @Test
    void concurrentAskersShareOneBuild() throws Exception {
        CandidatePool<Thing> pool = new CandidatePool<>(2);
        AtomicInteger builds = new AtomicInteger();
        CountDownLatch allAsked = new CountDownLatch(1);
        ExecutorService threads = Executors.newFixedThreadPool(4);
        List<Future<CandidatePool.Lease<Thing>>> leases = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            leases.add(threads.submit(() -> pool.acquire("c0", k -> {
                builds.incrementAndGet();
                try {
                    allAsked.await(); // the build is slow enough that the others ask while it runs
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
                return new Thing();
            })));
        }
        Thread.sleep(200);
        allAsked.countDown();
        Thing first = leases.get(0).get().value();
        int built = 0;
        for (Future<CandidatePool.Lease<Thing>> f : leases) {
            assertSame(first, f.get().value());
            built += f.get().built() ? 1 : 0;
            pool.release(f.get().entry());
        }
        threads.shutdown();
        assertEquals(1, builds.get());
        assertEquals(1, built);
    }

    @Test
    void beyondCapacityTheLeastRecentlyUsedFreeCandidateIsClosed() {
        CandidatePool<Thing> pool = new CandidatePool<>(2);
        CandidatePool.Lease<Thing> a = pool.acquire("a", k -> new Thing());
        pool.release(a.entry());
        CandidatePool.Lease<Thing> b = pool.acquire("b", k -> new Thing()); // held
        CandidatePool.Lease<Thing> c = pool.acquire("c", k -> new Thing());
        assertTrue(a.value().closed, "a was free and least recently used");
        assertFalse(b.value().closed);
        CandidatePool.Lease<Thing> d = pool.acquire("d", k -> new Thing());
        assertFalse(b.value().closed, "held candidates are never closed");
        assertTrue(c.value().closed || pool.size() > 2);
        pool.release(b.entry());
        pool.release(c.entry());
        pool.release(d.entry());
        assertEquals(2, pool.size());
        assertTrue(b.value().closed);
    }

    @Test
    void aFailedBuildFailsItsWaitersWithTheSameError() {
        CandidatePool<Thing> pool = new CandidatePool<>(2);
        assertThrows(CandidateException.class, () -> pool.acquire("bad", k -> {
            throw new CandidateException("bad weights");
        }));
        CandidateException again = assertThrows(CandidateException.class, () -> pool.acquire("bad", k -> new Thing()));
        assertEquals("bad weights", again.getMessage());
    }
}
