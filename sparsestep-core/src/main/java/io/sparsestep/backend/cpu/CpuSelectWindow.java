package io.sparsestep.backend.cpu;

import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * A faster route to the exact k-th largest score of a whole range (no candidates mask):
 * bracket it from a sample, then find it in one counting pass. The radix select's first
 * pass bins every score, a scattered increment per entry that costs about four times a
 * read of w and g; this pass only compares each vector against two bounds and counts, so
 * it runs near the speed of that read, and what falls between the bounds (about 1-3% of
 * the entries) is copied aside and selected exactly.
 *
 * <p>Steps: (1) score a deterministic jittered sample of {@code S = clamp(n/256, 1024,
 * 16384)} entries and sort it; (2) take as bounds the sample's values at ranks {@code r -/+
 * (4 sd + 4)} around the expected rank {@code r = k S / n}, sd the binomial spread
 * {@code sqrt(S p (1-p))}; (3) one pass over the range counts the scores above the upper
 * bound and copies the score bits inside [lower, upper] into per-worker buffers; (4) if
 * {@code above < k <= above + inside}, the threshold is the {@code (k - above)}-th largest
 * inside, found by radix select over the copied bits, and every entry equal to it is inside
 * too, so the counts are exact. Otherwise (a bound missed, a buffer would overflow, or a
 * NaN score is present) it answers false and the caller runs the full radix select.
 *
 * <p>Either way the result is the same value and counts, because the k-th largest of a
 * multiset is one number whatever finds it: the backends still agree bit for bit, and the
 * sample only decides how fast. Memory traffic: the range's w (and g) once, 8 B per entry
 * for {@code |g*w|}, against 24 B for the three radix passes.
 */
final class CpuSelectWindow {
    /** Ranges below this go straight to the radix select (the sample would not pay for itself). */
    static final long MIN_ENTRIES = 1L << 16;
    private static final int MIN_SAMPLE = 1024, MAX_SAMPLE = 1 << 14;
    private static final int INF_BITS = 0x7f800000;
    private static final int V = CpuSelectPass.V;
    /** Radix digits over the copied bits, most significant first, as the full select's. */
    private static final int[] SHIFT = {21, 10, 0}, WIDTH = {11, 11, 10};

    private final CpuBackend be;
    private final Worker[] workers;
    private final int[] sample = new int[MAX_SAMPLE];
    private final long[] hist = new long[CpuSelectPass.BINS];
    /** All workers' copied bits, end to end, for the final select; grown when a larger range needs it. */
    private int[] inside = new int[0];
    /** Selections answered here and ones handed back to the radix select (read by tests). */
    long hits, misses;
    /** The last answered selection: the threshold's bits, the scores above it, those equal to it (fields, so a step allocates nothing). */
    int foundBits;
    long foundAbove, foundEqual;

    /** A worker's counts and its buffer of score bits inside the bounds. */
    private static final class Worker {
        int[] bits = new int[0];
        final int[] lanes = new int[V];
        int count;
        long above, nan;
        boolean overflow;

        void reset() {
            count = 0;
            above = 0;
            nan = 0;
            overflow = false;
        }
    }

    CpuSelectWindow(CpuBackend be, int threads) {
        this.be = be;
        this.workers = new Worker[threads];
        for (int t = 0; t < threads; t++) workers[t] = new Worker();
    }

    /**
     * Finds the exact k-th largest score over all n entries into {@link #foundBits},
     * {@link #foundAbove} and {@link #foundEqual}; false when the caller must run the radix select.
     */
    boolean find(MemorySegment w, MemorySegment g, long n, long k) {
        int s = (int) Math.min(MAX_SAMPLE, Math.max(MIN_SAMPLE, n >>> 8));
        for (int j = 0; j < s; j++) {
            // jittered systematic sample: one entry per stride, at a golden-ratio offset within it
            double jitter = ((j + 1) * 0.6180339887498949) % 1.0;
            long i = Math.min(n - 1, (long) ((j + jitter) * n / s));
            int bits = CpuSelectPass.scoreBits(w, g, i);
            if (bits > INF_BITS) return miss();
            sample[j] = bits;
        }
        Arrays.sort(sample, 0, s);
        double p = (double) k / n, rank = p * s, margin = 4 * Math.sqrt(s * p * (1 - p)) + 4;
        long upperRank = (long) Math.floor(rank - margin), lowerRank = (long) Math.ceil(rank + margin);
        // sample rank r (1 = largest) is sample[s - r]; beyond the sample the bound is open
        int upper = upperRank < 1 ? INF_BITS : sample[(int) (s - upperRank)];
        int lower = lowerRank > s ? 0 : sample[(int) (s - lowerRank)];
        double insideShare = (Math.min(lowerRank, s) - Math.max(upperRank, 1) + 1.0) / s;
        for (Worker wk : workers) wk.reset();   // a worker the split leaves idle must not bring old counts
        be.chunked(n, (worker, start, count) -> {
            Worker wk = workers[worker];
            int need = (int) Math.min(Integer.MAX_VALUE - 2L * V, (long) (2 * insideShare * count) + 2L * V + 64);
            if (wk.bits.length < need) wk.bits = new int[need];
            pass(w, g, start, start + count, lower, upper, wk);
        });
        long above = 0, nan = 0, total = 0;
        for (Worker wk : workers) {
            if (wk.overflow) return miss();
            above += wk.above;
            nan += wk.nan;
            total += wk.count;
        }
        if (nan > 0 || k <= above || k > above + total || total > Integer.MAX_VALUE) return miss();
        if (inside.length < total) inside = new int[(int) total];
        int at = 0;
        for (Worker wk : workers) {
            System.arraycopy(wk.bits, 0, inside, at, wk.count);
            at += wk.count;
        }
        kthLargest(inside, at, k - above);
        foundAbove += above;
        hits++;
        return true;
    }

    private boolean miss() {
        misses++;
        return false;
    }

    /**
     * One worker's piece: scores above {@code upper} counted (NaN among them counted apart),
     * those in [lower, upper] copied out. {@link CpuBackend#chunked} hands each worker at most
     * one range per call, so the worker's counts are set, not added to.
     */
    private static void pass(MemorySegment w, MemorySegment g, long start, long end, int lower, int upper, Worker wk) {
        int[] out = wk.bits, lanes = wk.lanes;
        int count = 0;
        long aboveOrNan = 0, nan = 0, below = 0, i = start;
        // the bounds as vectors once: comparing against a scalar re-broadcast it every iteration (the pass ran at half speed)
        IntVector upperV = IntVector.broadcast(CpuSelectPass.INTS, upper), lowerV = IntVector.broadcast(CpuSelectPass.INTS, lower);
        IntVector infV = IntVector.broadcast(CpuSelectPass.INTS, INF_BITS);
        for (long vectorEnd = start + (end - start) / V * V; i < vectorEnd; i += V) {
            IntVector bits = CpuSelectPass.vectorBits(w, g, i);
            VectorMask<Integer> over = bits.compare(VectorOperators.GT, upperV);
            VectorMask<Integer> under = bits.compare(VectorOperators.LT, lowerV);
            aboveOrNan += over.trueCount();
            below += under.trueCount();
            nan += bits.compare(VectorOperators.GT, infV).trueCount();
            VectorMask<Integer> in = over.or(under).not();
            if (in.anyTrue()) {
                if (count + V > out.length) {
                    wk.overflow = true;
                    return;
                }
                bits.intoArray(lanes, 0);
                for (long m = in.toLong(); m != 0; m &= m - 1) out[count++] = lanes[Long.numberOfTrailingZeros(m)];
            }
        }
        for (; i < end; i++) {
            int bits = CpuSelectPass.scoreBits(w, g, i);
            if (bits > upper) {
                aboveOrNan++;
                if (bits > INF_BITS) nan++;
            } else if (bits < lower) {
                below++;
            } else {
                if (count == out.length) {
                    wk.overflow = true;
                    return;
                }
                out[count++] = bits;
            }
        }
        // every entry is exactly one of above, NaN, inside or below: a check on the vector counts
        // that costs one compare per vector, and a mismatch hands the selection back
        wk.overflow = aboveOrNan + below + count != end - start;
        wk.count = count;
        wk.above = aboveOrNan - nan;
        wk.nan = nan;
    }

    /** The k-th largest of a[0..m), 1 <= k <= m, into foundBits, and how many of the m lie above it and equal it. */
    private void kthLargest(int[] a, int m, long k) {
        int prefix = 0, prefixMask = 0;
        long remaining = k, above = 0, equal = 0;
        for (int level = 0; level < SHIFT.length; level++) {
            int shift = SHIFT[level], digitMask = (1 << WIDTH[level]) - 1;
            Arrays.fill(hist, 0);
            for (int i = 0; i < m; i++) {
                int b = a[i];
                if ((b & prefixMask) == prefix) hist[(b >>> shift) & digitMask]++;
            }
            int d = digitMask;
            while (hist[d] < remaining) {
                remaining -= hist[d];
                above += hist[d];
                d--;
            }
            equal = hist[d];
            prefix |= d << shift;
            prefixMask |= digitMask << shift;
        }
        foundBits = prefix;
        foundAbove = above;
        foundEqual = equal;
    }
}
