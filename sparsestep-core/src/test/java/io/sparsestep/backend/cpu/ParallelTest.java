package io.sparsestep.backend.cpu;

import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicIntegerArray;

import static org.junit.jupiter.api.Assertions.*;

/** The worker pool: every index exactly once, contiguous chunks, failures surface, no nesting. */
class ParallelTest {

    @Test
    void forRangeAndForEachVisitEveryIndexExactlyOnce() {
        try (Parallel p = new Parallel(3)) {
            for (int n : new int[]{1, 2, 3, 7, 1000}) {
                for (int round = 0; round < 50; round++) {
                    AtomicIntegerArray hits = new AtomicIntegerArray(n);
                    p.forRange(n, (worker, s, e) -> {
                        assertTrue(worker >= 0 && worker < 3);
                        for (int i = s; i < e; i++) hits.incrementAndGet(i);
                    });
                    AtomicIntegerArray each = new AtomicIntegerArray(n);
                    p.forEach(n, (worker, i) -> each.incrementAndGet(i));
                    for (int i = 0; i < n; i++) {
                        assertEquals(1, hits.get(i), "forRange index " + i + " of " + n);
                        assertEquals(1, each.get(i), "forEach index " + i + " of " + n);
                    }
                }
            }
        }
    }

    @Test
    void chunksAreContiguousAndRespectTheGrain() {
        try (Parallel p = new Parallel(4)) {
            int[] owner = new int[100];
            p.forRange(100, (worker, s, e) -> {
                for (int i = s; i < e; i++) owner[i] = worker;
            });
            for (int i = 1; i < 100; i++) assertTrue(owner[i] >= owner[i - 1], "worker chunks are in order");
            assertEquals(3, owner[99]);
            // 100 indices with a grain of 60 make one chunk, run inline as worker 0.
            p.forRange(100, 60, (worker, s, e) -> {
                assertEquals(0, worker);
                assertEquals(0, s);
                assertEquals(100, e);
            });
        }
    }

    @Test
    void aFailureInAWorkerReachesTheCallerAndThePoolKeepsWorking() {
        try (Parallel p = new Parallel(3)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> p.forRange(3, (worker, s, end) -> {
                if (s == 2) throw new IllegalArgumentException("boom");
            }));
            assertEquals("boom", e.getMessage());
            AtomicIntegerArray hits = new AtomicIntegerArray(3);
            p.forRange(3, (worker, s, end) -> hits.incrementAndGet(s));
            assertEquals(1, hits.get(2));
        }
    }

    @Test
    void nestedCallsFailInsteadOfDeadlocking() {
        try (Parallel p = new Parallel(2)) {
            assertThrows(IllegalStateException.class, () -> p.forRange(2, (w, s, e) -> p.forRange(2, (w2, s2, e2) -> { })));
        }
    }
}
