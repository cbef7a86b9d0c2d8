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
 * it runs near the speed of that read, and what falls between the bounds (about 1.4-3.6% of
 * the entries) is copied aside and selected exactly.
 *
 * <p>Steps: (1) score a deterministic jittered sample of {@code S = clamp(n/256, 1024,
 * 16384)} entries (their indices placed once per range size) and sort it; (2) take as bounds
 * the sample's values at ranks {@code r -/+ (4 sd + 4)} around the expected rank
 * {@code r = k S / n}, sd the binomial spread {@code sqrt(S p (1-p))}; (3) one pass over the
 * range counts the scores above the upper bound and copies the score bits inside [lower,
 * upper] into per-worker buffers, branch-free (each vector's inside lanes compressed and
 * stored whole), and each worker then counts its copied bits into 2048 buckets of
 * {@code (bits - lower) >>> shift}; (4) if {@code above < k <= above + inside}, the threshold
 * is found in the one bucket the summed counts point at: its scores are gathered and the
 * remaining rank selected among them (sorted when there are at most {@link #SORT_MAX}, radix
 * selected when more). Bucket order is score order and every entry equal to the threshold
 * shares its bucket, so the counts are exact. Otherwise (a bound missed, a buffer would
 * overflow, or a NaN score is present) it answers false and the caller runs the full radix
 * select.
 *
 * <p>A selection of the same k of the same n as the last answered one (GSM selects its Q of
 * all conv/linear weights every step, and the threshold moves little between steps) skips
 * steps (1) and (2): it tries the last bracket moved to the last threshold, and samples only
 * when that misses ({@link #hint}).
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
    /** The copied bits are first split into this many buckets of {@code (bits - lower) >>> shift}, each worker counting its own. */
    private static final int BUCKET_BITS = 11, BUCKETS = 1 << BUCKET_BITS;
    /** A bucket of at most this many scores is sorted rather than radix selected (a sort of a few dozen, the usual bucket, takes well under a microsecond). */
    static final int SORT_MAX = 1024;

    private final CpuBackend be;
    private final Worker[] workers;
    private final int[] sample = new int[MAX_SAMPLE];
    /** The sample's entry indices for a range of {@link #sampledN} entries: placed once per size, not per call. */
    private final long[] sampleAt = new long[MAX_SAMPLE];
    /** The radix sort's other buffer and its byte counts (Arrays.sort allocated a merge buffer on some calls). */
    private final int[] sortBuffer = new int[Math.max(MAX_SAMPLE, SORT_MAX)];
    private final int[] byteCounts = new int[4 * 256];
    private long sampledN = -1;
    private final long[] hist = new long[CpuSelectPass.BINS];
    /** The workers' bucket counts summed. */
    private final long[] buckets = new long[BUCKETS];
    /** All workers' copied bits, end to end, for the final select; grown when a larger range needs it. */
    private int[] inside = new int[0];
    /** Selections answered here and ones handed back to the radix select (read by tests). */
    long hits, misses;
    /** Selections the hint bracket answered, and hint brackets that missed (then sampled; read by tests). */
    long hintHits, hintMisses;
    /** The bracket {@link #find} tries first for k of n entries (see {@link #hint}); n = -1: none yet. */
    private long hintN = -1, hintK = -1;
    private int hintBits, hintBelow, hintAbove;
    private double hintShare;
    /** Whether the last counting pass saw a NaN score. */
    private boolean sawNan;
    /** Answered selections whose threshold's bucket was sorted, and ones whose bucket was radix selected (read by tests). */
    long sortedBuckets, radixBuckets;
    /** The last answered selection: the threshold's bits, the scores above it, those equal to it (fields, so a step allocates nothing). */
    int foundBits;
    long foundAbove, foundEqual;

    /** A worker's counts and its buffer of score bits inside the bounds. */
    private static final class Worker {
        int[] bits = new int[0];
        /** How many of the copied bits fall in each bucket. */
        final int[] buckets = new int[BUCKETS];
        int count;
        long above;
        boolean nan, overflow;

        void reset() {
            count = 0;
            above = 0;
            nan = false;
            overflow = false;
            Arrays.fill(buckets, 0);
        }

        /** Counts the copied bits from {@code from} on per bucket {@code (bits - lower) >>> shift} (all below BUCKETS, as the bits lie in [lower, upper]). */
        void countBuckets(int from, int lower, int shift) {
            for (int j = from; j < count; j++) buckets[(bits[j] - lower) >>> shift]++;
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
     * A repeat of the last answered (n, k), as GSM's every step is, first tries the hint bracket
     * (see {@link #hint}) and samples only when that misses.
     */
    boolean find(MemorySegment w, MemorySegment g, long n, long k) {
        if (hintN == n && hintK == k) {
            long lo = (long) hintBits - hintBelow, hi = (long) hintBits + hintAbove;
            int lower = (int) Math.clamp(lo, 0, INF_BITS), upper = (int) Math.clamp(hi, 0, INF_BITS);
            if (lower <= upper && bracketed(w, g, n, k, lower, upper, hintShare)) {
                hintHits++;
                hits++;
                return true;
            }
            hintMisses++;
            if (sawNan) return miss();   // a NaN score sends every route to the radix select: no sample
        }
        int s = (int) Math.min(MAX_SAMPLE, Math.max(MIN_SAMPLE, n >>> 8));
        if (sampledN != n) placeSample(n, s);
        for (int j = 0; j < s; j++) {
            int bits = CpuSelectPass.scoreBits(w, g, sampleAt[j]);
            if (bits > INF_BITS) return miss();
            sample[j] = bits;
        }
        sortBits(sample, s, sortBuffer, byteCounts);
        double p = (double) k / n, rank = p * s, margin = 4 * Math.sqrt(s * p * (1 - p)) + 4;
        long upperRank = (long) Math.floor(rank - margin), lowerRank = (long) Math.ceil(rank + margin);
        // sample rank r (1 = largest) is sample[s - r]; beyond the sample the bound is open
        int upper = upperRank < 1 ? INF_BITS : sample[(int) (s - upperRank)];
        int lower = lowerRank > s ? 0 : sample[(int) (s - lowerRank)];
        double insideShare = (Math.min(lowerRank, s) - Math.max(upperRank, 1) + 1.0) / s;
        if (!bracketed(w, g, n, k, lower, upper, insideShare)) return miss();
        hits++;
        return true;
    }

    /**
     * Plants the bracket the next selection of k of n entries tries before it samples: the
     * bits {@code [bits - below, bits + above]} (clamped to [0, +inf's bits]), with copy
     * buffers sized for {@code share} of the entries inside. An answered selection leaves its
     * own: its threshold's bits and the distances of its bracket's bounds from them, so the
     * next step's bracket is the last one moved to the last threshold. A hint changes only
     * how fast the answer comes: a bracket that misses (the threshold moved out of it, a
     * wrong or NaN hint, lower above upper) falls back to the sample. Tests plant wrong ones.
     */
    void hint(long n, long k, int bits, int below, int above, double share) {
        hintN = n;
        hintK = k;
        hintBits = bits;
        hintBelow = below;
        hintAbove = above;
        hintShare = share;
    }

    /**
     * The counting pass with the bracket [lower, upper] and, when the k-th largest lies inside
     * it, its exact selection among the copied scores; true when answered (and the bracket then
     * kept as the next call's hint). The range is handed out a {@link CpuBackend#CHUNK} piece at
     * a time to whichever worker is free ({@link Parallel#forEach}): a worker that wakes late or
     * shares its core does fewer pieces instead of holding the caller up, and as every count is
     * a sum and the last select sees only values, the answer does not depend on who took which.
     */
    private boolean bracketed(MemorySegment w, MemorySegment g, long n, long k, int lower, int upper, double insideShare) {
        sawNan = false;
        // the bucket of a copied score: its offset above lower, shifted so that upper - lower lands below BUCKETS
        int shift = Math.max(0, Integer.SIZE - Integer.numberOfLeadingZeros(upper - lower) - BUCKET_BITS);
        // any worker may take every piece: each buffer holds twice the expected inside share of the whole range
        int need = (int) Math.min(Integer.MAX_VALUE - 2L * V, Math.min(n, (long) (2 * insideShare * n)) + 2L * V + 64);
        for (Worker wk : workers) {
            wk.reset();   // a worker that takes no piece must not bring old counts
            if (wk.bits.length < need) wk.bits = new int[need];
        }
        long pieces = (n + CpuBackend.CHUNK - 1) / CpuBackend.CHUNK;
        be.parallel().forEach((int) pieces, (worker, piece) -> {
            Worker wk = workers[worker];
            if (wk.overflow) return;
            long start = (long) piece * CpuBackend.CHUNK;
            int from = wk.count;
            pass(w, g, start, Math.min(n, start + CpuBackend.CHUNK), lower, upper, wk);
            if (!wk.overflow) wk.countBuckets(from, lower, shift);
        });
        long above = 0, total = 0;
        boolean nan = false;
        for (Worker wk : workers) {
            if (wk.overflow) return false;
            above += wk.above;
            nan |= wk.nan;
            total += wk.count;
        }
        sawNan = nan;
        if (nan || k <= above || k > above + total || total > Integer.MAX_VALUE) return false;
        // the bucket holding the (k - above)-th largest copied score: every score above it lies in a higher bucket
        Arrays.fill(buckets, 0);
        for (Worker wk : workers) for (int b = 0; b < BUCKETS; b++) buckets[b] += wk.buckets[b];
        long remaining = k - above;
        int d = BUCKETS - 1;
        while (buckets[d] < remaining) {
            remaining -= buckets[d];
            above += buckets[d];
            d--;
        }
        if (inside.length < buckets[d] + V) inside = new int[(int) buckets[d] + V];
        int at = 0;
        for (Worker wk : workers) at = gather(wk.bits, wk.count, lower, shift, d, inside, at);
        if (at <= SORT_MAX) {
            kthLargestBySort(inside, at, remaining);
            sortedBuckets++;
        } else {
            kthLargest(inside, at, remaining);
            radixBuckets++;
        }
        foundAbove += above;
        hint(n, k, foundBits, foundBits - lower, upper - foundBits, (double) total / n);
        return true;
    }

    /** The jittered systematic sample for n entries: one entry per stride of n / s, at a golden-ratio offset within it. */
    private void placeSample(long n, int s) {
        for (int j = 0; j < s; j++) {
            double jitter = ((j + 1) * 0.6180339887498949) % 1.0;
            sampleAt[j] = Math.min(n - 1, (long) ((j + jitter) * n / s));
        }
        sampledN = n;
    }

    /** Appends to out, from {@code at}, the bits of a[0..m) in bucket d; returns the new end. out holds every one plus V. */
    private static int gather(int[] a, int m, int lower, int shift, int d, int[] out, int at) {
        IntVector lowerV = IntVector.broadcast(CpuSelectPass.INTS, lower);
        int j = 0;
        for (int vectorEnd = m / V * V; j < vectorEnd; j += V) {
            IntVector bits = IntVector.fromArray(CpuSelectPass.INTS, a, j);
            VectorMask<Integer> in = bits.sub(lowerV).lanewise(VectorOperators.LSHR, shift).compare(VectorOperators.EQ, d);
            bits.compress(in).intoArray(out, at);
            at += in.trueCount();
        }
        for (; j < m; j++) if ((a[j] - lower) >>> shift == d) out[at++] = a[j];
        return at;
    }

    private boolean miss() {
        misses++;
        return false;
    }

    /**
     * One piece for a worker: scores above {@code upper} counted, those in [lower, upper] copied
     * out after the worker's earlier pieces, whether a NaN score is present noted; the counts add
     * to the worker's (reset before each selection). The copy is branch-free:
     * each vector's inside lanes are compressed to its front and the whole vector stored at the
     * buffer's end, which then moves by their count. The branch on "any lane inside" it replaces
     * was taken by 44% of the vectors at 1M (3.6% of the entries inside, 16 lanes) and
     * mispredicted about as often: that pass ran at 4x the time of this one.
     */
    private static void pass(MemorySegment w, MemorySegment g, long start, long end, int lower, int upper, Worker wk) {
        int[] out = wk.bits;
        int count = wk.count, limit = out.length - V;
        long above = 0, i = start;
        // the bounds as vectors once: comparing against a scalar re-broadcast it every iteration (the pass ran at half speed)
        IntVector upperV = IntVector.broadcast(CpuSelectPass.INTS, upper), lowerV = IntVector.broadcast(CpuSelectPass.INTS, lower);
        IntVector spanV = IntVector.broadcast(CpuSelectPass.INTS, upper - lower);
        // the largest score bits seen: above INF_BITS means a NaN (one max per vector instead of a compare and a count)
        IntVector maxV = IntVector.zero(CpuSelectPass.INTS);
        for (long vectorEnd = start + (end - start) / V * V; i < vectorEnd; i += V) {
            IntVector bits = CpuSelectPass.vectorBits(w, g, i);
            maxV = maxV.max(bits);
            above += bits.compare(VectorOperators.GT, upperV).trueCount();
            // lower <= bits <= upper as one unsigned compare of the offset from lower
            VectorMask<Integer> in = bits.sub(lowerV).compare(VectorOperators.ULE, spanV);
            if (count > limit) {
                wk.overflow = true;
                return;
            }
            bits.compress(in).intoArray(out, count);
            count += in.trueCount();
        }
        boolean nan = maxV.reduceLanes(VectorOperators.MAX) > INF_BITS;
        for (; i < end; i++) {
            int bits = CpuSelectPass.scoreBits(w, g, i);
            if (bits > upper) {
                above++;
                nan |= bits > INF_BITS;
            } else if (bits >= lower) {
                if (count == out.length) {
                    wk.overflow = true;
                    return;
                }
                out[count++] = bits;
            }
        }
        wk.count = count;
        wk.above += above;
        wk.nan |= nan;
    }

    /** {@link #kthLargest} by sorting a[0..m) in place: for a bucket of a few scores, cheaper than three histograms of 2048 bins. */
    private void kthLargestBySort(int[] a, int m, long k) {
        sortBits(a, m, sortBuffer, byteCounts);
        int th = a[(int) (m - k)];
        long above = 0, equal = 0;
        for (int i = 0; i < m; i++) {
            if (a[i] > th) above++;
            else if (a[i] == th) equal++;
        }
        foundBits = th;
        foundAbove = above;
        foundEqual = equal;
    }

    /**
     * Sorts a[0..m) ascending by the bits as non-negative ints (the order of the scores): a
     * least-significant-byte-first radix sort, the counts of all four bytes taken in one read,
     * a byte that all m share skipped. O(m) on any data and allocation-free, unlike
     * Arrays.sort, which took a merge buffer on some calls. {@code buffer} holds at least m
     * ints, {@code counts} 1024.
     */
    static void sortBits(int[] a, int m, int[] buffer, int[] counts) {
        if (m < 2) return;
        int[] from = a, to = buffer;
        Arrays.fill(counts, 0);
        for (int i = 0; i < m; i++) {
            int b = a[i];
            counts[b & 0xff]++;
            counts[256 + ((b >>> 8) & 0xff)]++;
            counts[512 + ((b >>> 16) & 0xff)]++;
            counts[768 + (b >>> 24)]++;
        }
        for (int pass = 0; pass < 4; pass++) {
            int base = 256 * pass, shift = 8 * pass;
            if (counts[base + ((from[0] >>> shift) & 0xff)] == m) continue;   // every entry has this byte: the order stands
            for (int d = 0, at = 0; d < 256; d++) {
                int c = counts[base + d];
                counts[base + d] = at;
                at += c;
            }
            for (int i = 0; i < m; i++) {
                int b = from[i];
                to[counts[base + ((b >>> shift) & 0xff)]++] = b;
            }
            int[] t = from;
            from = to;
            to = t;
        }
        if (from != a) System.arraycopy(from, 0, a, 0, m);
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
