package io.sparsestep.bench;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * The CPU's copy baseline: one {@link MemorySegment#copy} per core over contiguous slices.
 * A single core cannot saturate a server's memory bus, and the backend's fused steps use
 * every core, so a one-thread copy would understate the bandwidth the steps compete for
 * (steps would show "more than 100% of copy"). The caller copies the first slice itself.
 */
final class HostParallelCopy implements AutoCloseable {
    /** Slices start on cache-line boundaries so no line is written by two threads. */
    private static final long ALIGN = 64;

    private final int threads;
    private final ExecutorService pool;
    private final List<Future<?>> pending = new ArrayList<>();

    HostParallelCopy(int threads) {
        if (threads < 1) throw new IllegalArgumentException("copy thread count must be >= 1, got " + threads);
        this.threads = threads;
        this.pool = threads == 1 ? null : Executors.newFixedThreadPool(threads - 1, r -> {
            Thread t = new Thread(r, "bench-copy");
            t.setDaemon(true);
            return t;
        });
    }

    /** dst = src, byte for byte ({@code src.byteSize()} bytes). */
    void copy(MemorySegment src, MemorySegment dst) {
        long bytes = src.byteSize();
        if (dst.byteSize() < bytes) throw new IllegalArgumentException("copy destination of " + dst.byteSize() + " bytes is smaller than the source's " + bytes);
        // ceil(bytes / threads) rounded up to a line: threads * slice >= bytes, and never 0
        long perThread = (bytes + threads - 1) / threads;
        long slice = Math.max(ALIGN, (perThread + ALIGN - 1) / ALIGN * ALIGN);
        pending.clear();
        for (int t = 1; t < threads; t++) {
            long start = Math.min(bytes, t * slice), end = Math.min(bytes, start + slice);
            if (start < end) pending.add(pool.submit(() -> MemorySegment.copy(src, start, dst, start, end - start)));
        }
        MemorySegment.copy(src, 0, dst, 0, Math.min(bytes, slice));
        for (Future<?> f : pending) {
            try {
                f.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for a copy slice", e);
            } catch (ExecutionException e) {
                throw new IllegalStateException("a copy slice failed: " + e.getCause(), e.getCause());
            }
        }
    }

    @Override
    public void close() {
        if (pool != null) pool.shutdownNow();
    }
}
