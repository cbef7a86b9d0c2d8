package io.sparsestep.backend.cpu;

import io.sparsestep.backend.DType;
import io.sparsestep.backend.SelectChecks;
import io.sparsestep.backend.SelectOps;
import io.sparsestep.backend.Tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

/**
 * The CPU twin of kernels/select.cu: radix select over the score's float bits, three
 * histogram passes of 11, 11 and 10 bits (the top digit covers bits 31..21; the sign bit of
 * a score is 0, so only its lower 1024 bins fill). Histograms are integer counts per
 * worker, summed after each pass, so the result does not depend on the split, and it is
 * the exact k-th largest value, the same whatever algorithm finds it: the backends agree
 * bit for bit. A whole range (no candidates mask) of 64K entries or more first tries
 * {@link CpuSelectWindow}, one counting pass bracketed by a sample (or, when k and n repeat, by the last selection's bracket), and falls back to
 * these passes when its bracket misses. The result lives in the scratch tensor (layout below), as on the GPU.
 *
 * <p>Scratch words: 0 threshold (f32 bits), 1 valid flag, 2-3 above, 4-5 equal,
 * 6-7 candidates, 8-9 NaN count, 10-11 k (little-endian 64-bit counts), then one tie count
 * per {@link CpuBackend#CHUNK} piece of the range (for {@link Ties#LOWEST_INDEX_FIRST}).
 */
final class CpuSelectOps implements SelectOps {
    static final int STATE_WORDS = 16;
    private static final int BINS = CpuSelectPass.BINS;
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT;
    private static final ValueLayout.OfByte B = ValueLayout.JAVA_BYTE;
    private static final ValueLayout.OfInt I = ValueLayout.JAVA_INT_UNALIGNED;
    private static final ValueLayout.OfLong L = ValueLayout.JAVA_LONG_UNALIGNED;
    /** The three digits: shift and width, most significant first. */
    private static final int[] SHIFT = {21, 10, 0}, WIDTH = {11, 11, 10};

    private final CpuBackend be;
    /** Per worker, reused by every selection: a histogram and the pass's buffers. */
    private final long[][] hist;
    private final CpuSelectPass.Scratch[] workers;
    private final long[] total = new long[BINS];
    /** The sampled one-pass route for whole ranges; the radix passes below are its fallback. */
    final CpuSelectWindow window;

    CpuSelectOps(CpuBackend be, int threads) {
        this.be = be;
        this.window = new CpuSelectWindow(be, threads);
        this.hist = new long[threads][BINS];
        this.workers = new CpuSelectPass.Scratch[threads];
        for (int t = 0; t < threads; t++) workers[t] = new CpuSelectPass.Scratch();
    }

    @Override
    public long scratchWords(long n) {
        return STATE_WORDS + (n + CpuBackend.CHUNK - 1) / CpuBackend.CHUNK;
    }

    /** The score of entry i: |w| or |g*w| (the product rounded to float first), as the kernel computes it. */
    static float score(Score score, MemorySegment w, MemorySegment g, long i) {
        float wi = w.getAtIndex(F, i);
        return score == Score.MAGNITUDE ? Math.abs(wi) : Math.abs(g.getAtIndex(F, i) * wi);
    }

    private record Views(MemorySegment w, MemorySegment g, MemorySegment candidates) {}

    private Views views(String op, Score score, Tensor w, Tensor g, Tensor candidates) {
        SelectChecks.operands(op, score, w, g, candidates);
        MemorySegment sw = be.view(w, op + " weights w");
        MemorySegment sg = score == Score.SALIENCY ? be.view(g, op + " gradient g") : null;
        MemorySegment sc = candidates == null ? null : be.bytes(candidates, op + " candidates mask", DType.U8);
        return new Views(sw, sg, sc);
    }

    @Override
    public void kthLargest(Score score, Tensor w, Tensor g, Tensor candidates, long k, Tensor scratch) {
        Views v = views("kthLargest", score, w, g, candidates);
        SelectChecks.k(k);
        MemorySegment st = scratchView(scratch, w.size());
        long n = w.size();
        if (v.candidates == null && n >= CpuSelectWindow.MIN_ENTRIES) {
            if (window.find(v.w, v.g, n, k)) {
                write(st, true, Float.intBitsToFloat(window.foundBits), window.foundAbove, window.foundEqual, n, 0, k);
                return;
            }
        }
        int prefix = 0, prefixMask = 0;
        long remaining = k, above = 0, equal = 0, cands = 0, nan = 0;
        boolean valid = true;
        for (int level = 0; level < 3; level++) {
            CpuSelectPass.Digit digit = new CpuSelectPass.Digit(prefix, prefixMask, SHIFT[level], (1 << WIDTH[level]) - 1, level == 0);
            for (long[] h : hist) Arrays.fill(h, 0);
            for (CpuSelectPass.Scratch c : workers) Arrays.fill(c.counts, 0);
            be.chunked(n, (worker, start, count) ->
                    CpuSelectPass.histogram(v.w, v.g, v.candidates, start, start + count, digit, hist[worker], workers[worker]));
            Arrays.fill(total, 0);
            for (long[] h : hist) for (int d = 0; d < BINS; d++) total[d] += h[d];
            if (digit.first()) {
                for (CpuSelectPass.Scratch c : workers) {
                    cands += c.counts[0];
                    nan += c.counts[1];
                }
                if (k > cands - nan) {
                    valid = false;
                    break;
                }
            }
            int digitMask = digit.digitMask(), d = digitMask;
            while (total[d] < remaining) {
                remaining -= total[d];
                above += total[d];
                d--;
            }
            equal = total[d];
            prefix |= d << digit.shift();
            prefixMask |= digitMask << digit.shift();
        }
        write(st, valid, Float.intBitsToFloat(prefix), above, equal, cands, nan, k);
    }

    private static void write(MemorySegment st, boolean valid, float threshold, long above, long equal, long cands, long nan, long k) {
        st.set(I, 0, valid ? Float.floatToRawIntBits(threshold) : Float.floatToRawIntBits(Float.NaN));
        st.set(I, 4, valid ? 1 : 0);
        st.set(L, 8, valid ? above : 0);
        st.set(L, 16, valid ? equal : 0);
        st.set(L, 24, cands);
        st.set(L, 32, nan);
        st.set(L, 40, k);
    }

    @Override
    public Tensor threshold(Tensor scratch) {
        return scratch.range(0, 1);
    }

    @Override
    public Selection read(Tensor scratch) {
        MemorySegment st = be.view(scratch, "selection scratch", STATE_WORDS);
        return new Selection(Float.intBitsToFloat(st.get(I, 0)), st.get(L, 8), st.get(L, 16), st.get(L, 24), st.get(L, 32), st.get(L, 40));
    }

    @Override
    public void keepTop(Score score, Tensor w, Tensor g, Tensor candidates, Ties ties, Tensor scratch, Tensor mask) {
        Views v = views("keepTop", score, w, g, candidates);
        SelectChecks.keepTop(ties, w, mask);
        MemorySegment m = be.bytes(mask, "keepTop mask", DType.U8);
        long n = w.size();
        MemorySegment st = scratchView(scratch, n);
        Selection sel = read(scratch);
        if (!sel.valid()) {
            m.fill((byte) 0);
            return;
        }
        float th = sel.threshold();
        long budget = ties == Ties.KEEP_ALL ? Long.MAX_VALUE : sel.k() - sel.above();
        long tieBase = 4L * STATE_WORDS;
        if (ties == Ties.LOWEST_INDEX_FIRST) {
            // pass 1: ties per piece (pieces are CHUNK-aligned, whichever worker takes them)
            be.chunked(n, (worker, start, count) -> {
                for (long p = start; p < start + count; p += CpuBackend.CHUNK) {
                    int t = 0;
                    for (long i = p, end = Math.min(start + count, p + CpuBackend.CHUNK); i < end; i++) {
                        if ((v.candidates == null || v.candidates.get(B, i) != 0) && score(score, v.w, v.g, i) == th) t++;
                    }
                    st.set(I, tieBase + 4 * (p / CpuBackend.CHUNK), t);
                }
            });
            // exclusive prefix over the pieces, in index order
            long run = 0;
            for (long p = 0, pieces = (n + CpuBackend.CHUNK - 1) / CpuBackend.CHUNK; p < pieces; p++) {
                long t = st.get(I, tieBase + 4 * p);
                st.set(I, tieBase + 4 * p, (int) Math.min(run, Integer.MAX_VALUE));
                run += t;
            }
        }
        be.chunked(n, (worker, start, count) -> {
            for (long p = start; p < start + count; p += CpuBackend.CHUNK) {
                long rank = ties == Ties.LOWEST_INDEX_FIRST ? st.get(I, tieBase + 4 * (p / CpuBackend.CHUNK)) : 0;
                for (long i = p, end = Math.min(start + count, p + CpuBackend.CHUNK); i < end; i++) {
                    boolean keep = false;
                    if (v.candidates == null || v.candidates.get(B, i) != 0) {
                        float s = score(score, v.w, v.g, i);
                        if (s > th) keep = true;
                        else if (s == th) keep = rank++ < budget;
                    }
                    m.set(B, i, keep ? (byte) 1 : (byte) 0);
                }
            }
        });
    }

    private MemorySegment scratchView(Tensor scratch, long n) {
        return be.view(scratch, "selection scratch", scratchWords(n));
    }
}
