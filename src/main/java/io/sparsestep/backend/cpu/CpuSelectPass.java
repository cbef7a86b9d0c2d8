package io.sparsestep.backend.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * One histogram pass of {@link CpuSelectOps} over one piece of the range, single-threaded.
 * The score bits come a vector at a time: the product {@code g*w} rounded to float (or w)
 * with its sign bit cleared, which is {@code Math.abs} of every non-NaN score. On the later
 * digits a vector none of whose lanes matches the prefix is skipped whole, which is nearly
 * every vector, so those passes run at the speed of reading w and g; every lane that can
 * count goes through the one scalar rule the tail uses, so the counts are the plain loop's.
 */
final class CpuSelectPass {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    /** Float lanes per vector: the size of the per-worker lane buffer. */
    static final int V = S.length();
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT;
    private static final ValueLayout.OfByte B = ValueLayout.JAVA_BYTE;
    private static final ByteOrder ORDER = ByteOrder.nativeOrder();
    private static final int MAGNITUDE_BITS = 0x7fffffff, INF_BITS = 0x7f800000;

    private CpuSelectPass() {}

    /** The digit a pass counts: bits [shift, shift + width) of the scores whose bits under {@code prefixMask} equal {@code prefix}. */
    record Digit(int prefix, int prefixMask, int shift, int digitMask, boolean first) {}

    /**
     * Adds to {@code hist} the digit of every non-NaN candidate score in [start, end) that
     * matches the prefix. On the first digit it also adds the candidates to {@code counts[0]}
     * and those with a NaN score to {@code counts[1]} (later passes leave them unreliable:
     * they skip whole vectors). {@code g} null: the score is |w|; {@code candidates} null:
     * every entry is one. {@code lanes} is scratch of {@link #V} ints.
     */
    static void histogram(MemorySegment w, MemorySegment g, MemorySegment candidates, long start, long end, Digit d, long[] hist,
                          int[] lanes, long[] counts) {
        long c = 0, nan = 0, i = start;
        for (long vectorEnd = start + (end - start) / V * V; i < vectorEnd; i += V) {
            FloatVector wv = FloatVector.fromMemorySegment(S, w, 4 * i, ORDER);
            FloatVector product = g == null ? wv : FloatVector.fromMemorySegment(S, g, 4 * i, ORDER).mul(wv);
            IntVector bits = product.reinterpretAsInts().and(MAGNITUDE_BITS);
            if (!d.first() && !bits.and(d.prefixMask()).compare(VectorOperators.EQ, d.prefix()).anyTrue()) continue;
            bits.intoArray(lanes, 0);
            for (int l = 0; l < V; l++) {
                int r = bin(candidates, i + l, lanes[l], d, hist);
                c += r != 0 ? 1 : 0;
                nan += r == 2 ? 1 : 0;
            }
        }
        for (; i < end; i++) {
            float wi = w.getAtIndex(F, i), product = g == null ? wi : g.getAtIndex(F, i) * wi;
            int r = bin(candidates, i, Float.floatToRawIntBits(product) & MAGNITUDE_BITS, d, hist);
            c += r != 0 ? 1 : 0;
            nan += r == 2 ? 1 : 0;
        }
        counts[0] += c;
        counts[1] += nan;
    }

    /** Bins one entry (its score bits, sign cleared): 0 not a candidate, 1 a candidate, 2 a candidate whose score is NaN (never binned). */
    private static int bin(MemorySegment candidates, long i, int bits, Digit d, long[] hist) {
        if (candidates != null && candidates.get(B, i) == 0) return 0;
        if (bits > INF_BITS) return 2;
        if ((bits & d.prefixMask()) == d.prefix()) hist[(bits >>> d.shift()) & d.digitMask()]++;
        return 1;
    }
}
