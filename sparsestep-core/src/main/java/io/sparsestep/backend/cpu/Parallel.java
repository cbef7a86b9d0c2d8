package io.sparsestep.backend.cpu;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

/**
 * A fixed pool of daemon worker threads for the CPU backend. The calling thread is worker 0
 * and does its share of every job, so a pool of {@code threads} starts {@code threads - 1}
 * threads. A waiting thread spins for a moment before it yields and finally parks: a
 * training step issues many short ops back to back, and parking right away would add a
 * wake-up latency to each of them.
 *
 * <p>Not thread-safe: one caller at a time (the backend is used like a CUDA stream). A
 * body must not call back into the pool; nested calls fail fast instead of deadlocking.
 * Each body receives its worker index so it can use per-worker scratch without locks.
 */
final class Parallel implements AutoCloseable {

    /** Work on the index range [start, end) as worker {@code worker}. */
    @FunctionalInterface
    interface RangeBody {
        void run(int worker, int start, int end);
    }

    /** Work on one index as worker {@code worker}. */
    @FunctionalInterface
    interface IndexBody {
        void run(int worker, int index);
    }

    /**
     * How a thread waits: first a few microseconds of PAUSE spinning (a PAUSE is 10-140
     * cycles), then yielding the core, then parking. Spinning alone would be fastest on an
     * idle machine, but when the cores are shared (a CI runner, other processes) a spinning
     * caller can hold the very core its worker needs and turn a microsecond hand-off into
     * a scheduler time slice; yielding lets the other thread run. The yield phase is long
     * (4096 yields: 3-8 ms on the 2-core machine, each a sched_yield that returns at once when
     * nothing else wants the core), so a worker stays awake across the gaps between a training
     * step's ops (a pack, a serial reduction, the optimizer's bookkeeping) and parks only when
     * the backend really idles: with 64 yields (about 0.1 ms) a worker could park in such a
     * gap, and the next op then waited for its unpark.
     */
    private static final int SPINS = 64;
    private static final int YIELDS = 4096;

    private final int threads;
    private final Worker[] workers;
    private final AtomicInteger pending = new AtomicInteger();
    private final AtomicInteger nextIndex = new AtomicInteger();
    private final AtomicReference<Throwable> failure = new AtomicReference<>();

    // The current job. Written by the caller before it publishes a worker's ticket (a volatile
    // write), read by that worker after it sees the ticket, and never rewritten before every
    // participating worker has finished, so plain fields are safe.
    private RangeBody rangeBody;
    private IndexBody indexBody;
    private int total;
    private int chunks;
    private Thread caller;
    private boolean running;
    private volatile boolean closed;

    Parallel(int threads) {
        if (threads < 1) throw new IllegalArgumentException("thread count must be >= 1, got " + threads);
        this.threads = threads;
        this.workers = new Worker[threads - 1];
        for (int i = 0; i < workers.length; i++) {
            workers[i] = new Worker(i + 1);
            Thread t = new Thread(workers[i], "sparsestep-cpu-" + (i + 1));
            t.setDaemon(true);
            workers[i].thread = t;
            t.start();
        }
    }

    int threads() {
        return threads;
    }

    /**
     * Splits [0, n) into contiguous chunks of at least {@code grain} indices, at most one
     * per worker, and runs them in parallel; runs inline when there is only one chunk.
     */
    void forRange(int n, int grain, RangeBody body) {
        if (n <= 0) return;
        int c = (int) Math.min(threads, Math.max(1, n / (long) Math.max(1, grain)));
        if (c == 1) {
            enter();
            try {
                body.run(0, 0, n);
            } finally {
                running = false;
            }
            return;
        }
        rangeBody = body;
        indexBody = null;
        launch(n, c);
    }

    /** Splits [0, n) into contiguous chunks, one per worker (no minimum chunk size). */
    void forRange(int n, RangeBody body) {
        forRange(n, 1, body);
    }

    /**
     * Runs {@code body} once for every index in [0, n), handing indices out one at a time to
     * whichever worker is free: better balance than fixed chunks when items are large
     * (a GEMM tile, a sample of a convolution) and the cores are shared with other work.
     */
    void forEach(int n, IndexBody body) {
        if (n <= 0) return;
        int c = Math.min(threads, n);
        if (c == 1) {
            enter();
            try {
                for (int i = 0; i < n; i++) body.run(0, i);
            } finally {
                running = false;
            }
            return;
        }
        nextIndex.set(0);
        indexBody = body;
        rangeBody = null;
        launch(n, c);
    }

    private void enter() {
        if (running) throw new IllegalStateException("nested parallel call: a CPU kernel body called back into its pool");
        if (closed) throw new IllegalStateException("the CPU backend is closed");
        running = true;
    }

    private void launch(int n, int c) {
        enter();
        try {
            total = n;
            chunks = c;
            caller = Thread.currentThread();
            pending.set(c - 1);
            for (int i = 1; i < c; i++) workers[i - 1].post();
            runShare(0);
            awaitWorkers();
        } finally {
            rangeBody = null;
            indexBody = null;
            running = false;
        }
        Throwable t = failure.getAndSet(null);
        if (t != null) {
            if (t instanceof RuntimeException re) throw re;
            if (t instanceof Error e) throw e;
            throw new IllegalStateException(t);
        }
    }

    private void runShare(int worker) {
        try {
            if (rangeBody != null) {
                int start = (int) ((long) total * worker / chunks);
                int end = (int) ((long) total * (worker + 1) / chunks);
                if (start < end) rangeBody.run(worker, start, end);
            } else {
                IndexBody body = indexBody;
                for (int i = nextIndex.getAndIncrement(); i < total; i = nextIndex.getAndIncrement()) {
                    body.run(worker, i);
                }
            }
        } catch (Throwable t) {
            failure.compareAndSet(null, t);
            // Stop handing out further indices so the other workers finish quickly.
            nextIndex.set(Integer.MAX_VALUE / 2);
        }
    }

    private void awaitWorkers() {
        for (int round = 0; pending.get() != 0; round++) backOff(round, this);
    }

    /** One wait step of the spin, then yield, then park sequence. */
    private static void backOff(int round, Object blocker) {
        if (round < SPINS) Thread.onSpinWait();
        else if (round < SPINS + YIELDS) Thread.yield();
        else LockSupport.park(blocker);
    }

    @Override
    public void close() {
        closed = true;
        for (Worker w : workers) LockSupport.unpark(w.thread);
    }

    private final class Worker implements Runnable {
        final int index;
        Thread thread;
        /** Bumped by the caller to hand this worker the current job. */
        private volatile long ticket;
        /** The last ticket this worker ran; touched only by the worker thread. */
        private long seen;

        Worker(int index) {
            this.index = index;
        }

        void post() {
            ticket = ticket + 1;
            LockSupport.unpark(thread);
        }

        @Override
        public void run() {
            while (true) {
                for (int round = 0; ticket == seen; round++) {
                    if (closed) return;
                    backOff(round, this);
                }
                seen = ticket;
                runShare(index);
                if (pending.decrementAndGet() == 0) LockSupport.unpark(caller);
            }
        }
    }
}
