package io.sparsestep.backend.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * One histogram pass of {@link CpuSelectOps} over one piece of the range, single-threaded.
 * The score bits come a vector at a time: the product {@code g*w} rounded to float (or w)
 * with its sign bit cleared, which is {@code Math.abs} of every non-NaN score.
 *
 * <p>The first digit bins every candidate (a scatter of increments, the pass's cost; four
 * interleaved histograms against chains of increments on one bin measured no faster). The
 * later digits bin only the lanes that match the prefix, found by one vector compare; a
 * vector with none is skipped whole, which made the second pass about twice as fast as the
 * plain loop (4M entries, one thread). Every binned entry goes through the same rule as
 * the scalar tail, so the counts are the plain loop's.
 */
final class CpuSelectPass {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    /** The int species of the score bits {@link #vectorBits} returns (as many lanes as S). */
    static final VectorSpecies<Integer> INTS = S.withLanes(int.class);
    /** Float lanes per vector: the size of the per-worker lane buffer. */
    static final int V = S.length();
    static final int BINS = 2048;
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT;
    private static final ValueLayout.OfByte B = ValueLayout.JAVA_BYTE;
    private static final ByteOrder ORDER = ByteOrder.nativeOrder();
    private static final int MAGNITUDE_BITS = 0x7fffffff, INF_BITS = 0x7f800000;
    private static final int FIRST_SHIFT = 21;

    private CpuSelectPass() {}

    /** The digit a pass counts: bits [shift, shift + width) of the scores whose bits under {@code prefixMask} equal {@code prefix}. */
    record Digit(int prefix, int prefixMask, int shift, int digitMask, boolean first) {}

    /** A worker's buffers, reused by every pass: a vector's lanes and the first digit's two counts. */
    static final class Scratch {
        final int[] lanes = new int[V];
        /** Candidates and those with a NaN score, added by each first-digit pass. */
        final long[] counts = new long[2];
    }

    /**
     * Adds to {@code hist} the digit of every non-NaN candidate score in [start, end) that
     * matches the prefix; on the first digit also the candidates and those with a NaN score
     * to the scratch's counts. {@code g} null: the score is |w|; {@code candidates} null:
     * every entry is one.
     */
    static void histogram(MemorySegment w, MemorySegment g, MemorySegment candidates, long start, long end, Digit d, long[] hist,
                          Scratch s) {
        if (d.first()) firstDigit(w, g, candidates, start, end, hist, s);
        else laterDigit(w, g, candidates, start, end, d, hist, s.lanes);
    }

    /** The score bits of entries [i, i + V): |g*w| (the product rounded to float) or |w|, sign bit cleared. */
    static IntVector vectorBits(MemorySegment w, MemorySegment g, long i) {
        FloatVector wv = FloatVector.fromMemorySegment(S, w, 4 * i, ORDER);
        FloatVector product = g == null ? wv : FloatVector.fromMemorySegment(S, g, 4 * i, ORDER).mul(wv);
        return product.reinterpretAsInts().and(MAGNITUDE_BITS);
    }

    /** The score bits of entry i, as {@link #vectorBits} computes them. */
    static int scoreBits(MemorySegment w, MemorySegment g, long i) {
        float wi = w.getAtIndex(F, i), product = g == null ? wi : g.getAtIndex(F, i) * wi;
        return Float.floatToRawIntBits(product) & MAGNITUDE_BITS;
    }

    private static void firstDigit(MemorySegment w, MemorySegment g, MemorySegment candidates, long start, long end, long[] hist,
                                   Scratch s) {
        long c = 0, nan = 0, i = start;
        int[] lanes = s.lanes;
        for (long vectorEnd = start + (end - start) / V * V; i < vectorEnd; i += V) {
            vectorBits(w, g, i).intoArray(lanes, 0);
            for (int l = 0; l < V; l++) {
                int r = binFirst(candidates, i + l, lanes[l], hist);
                c += r != 0 ? 1 : 0;
                nan += r == 2 ? 1 : 0;
            }
        }
        for (; i < end; i++) {
            int r = binFirst(candidates, i, scoreBits(w, g, i), hist);
            c += r != 0 ? 1 : 0;
            nan += r == 2 ? 1 : 0;
        }
        s.counts[0] += c;
        s.counts[1] += nan;
    }

    /** Bins one entry on the first digit: 0 not a candidate, 1 a candidate, 2 a candidate whose score is NaN (never binned). */
    private static int binFirst(MemorySegment candidates, long i, int bits, long[] hist) {
        if (candidates != null && candidates.get(B, i) == 0) return 0;
        if (bits > INF_BITS) return 2;
        hist[bits >>> FIRST_SHIFT]++;
        return 1;
    }

    private static void laterDigit(MemorySegment w, MemorySegment g, MemorySegment candidates, long start, long end, Digit d,
                                   long[] hist, int[] lanes) {
        long i = start;
        for (long vectorEnd = start + (end - start) / V * V; i < vectorEnd; i += V) {
            IntVector bits = vectorBits(w, g, i);
            VectorMask<Integer> match = bits.and(d.prefixMask()).compare(VectorOperators.EQ, d.prefix());
            if (!match.anyTrue()) continue;
            bits.intoArray(lanes, 0);
            for (long m = match.toLong(); m != 0; m &= m - 1) {
                int l = Long.numberOfTrailingZeros(m);
                binLater(candidates, i + l, lanes[l], d, hist);
            }
        }
        for (; i < end; i++) binLater(candidates, i, scoreBits(w, g, i), d, hist);
    }

    /** Bins one entry on a later digit: a candidate with a non-NaN score under the prefix (a NaN can share +inf's leading bits). */
    private static void binLater(MemorySegment candidates, long i, int bits, Digit d, long[] hist) {
        if (candidates != null && candidates.get(B, i) == 0) return;
        if (bits > INF_BITS) return;
        if ((bits & d.prefixMask()) == d.prefix()) hist[(bits >>> d.shift()) & d.digitMask()]++;
    }
}
