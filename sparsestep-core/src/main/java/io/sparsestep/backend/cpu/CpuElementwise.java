package io.sparsestep.backend.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Single-threaded elementwise kernels on float ranges of segments (offsets and counts in
 * floats); {@link CpuBackend} splits the range over its workers. Vector lanes and the
 * scalar tails compute the same IEEE operations, so chunking never changes a result.
 */
final class CpuElementwise {
    private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
    private static final int V = SPECIES.length();
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT;
    private static final ByteOrder ORDER = ByteOrder.nativeOrder();

    private CpuElementwise() {
    }

    static void fill(MemorySegment s, long off, long n, float value) {
        if (Float.floatToRawIntBits(value) == 0) {
            s.asSlice(off * Float.BYTES, n * Float.BYTES).fill((byte) 0);
            return;
        }
        FloatVector v = FloatVector.broadcast(SPECIES, value);
        long i = 0, bound = n - n % V;
        for (; i < bound; i += V) v.intoMemorySegment(s, (off + i) * Float.BYTES, ORDER);
        for (; i < n; i++) s.setAtIndex(F, off + i, value);
    }

    static void add(MemorySegment a, long aOff, MemorySegment b, long bOff, MemorySegment out, long outOff, long n) {
        add(a, aOff, b, bOff, out, outOff, n, false);
    }

    /** out = a + b, then max(out, 0) when {@code relu} (the residual sum and its ReLU in one pass, bitwise the two ops). */
    static void add(MemorySegment a, long aOff, MemorySegment b, long bOff, MemorySegment out, long outOff, long n, boolean relu) {
        // every lane takes the clamped sum with a ReLU, none without: a select, as a vector chosen by a branch is boxed
        VectorMask<Float> clamp = FloatVector.broadcast(SPECIES, relu ? 1f : 0f).compare(VectorOperators.GT, 0f);
        long i = 0, bound = n - n % V;
        for (; i < bound; i += V) {
            FloatVector sum = FloatVector.fromMemorySegment(SPECIES, a, (aOff + i) * Float.BYTES, ORDER)
                    .add(FloatVector.fromMemorySegment(SPECIES, b, (bOff + i) * Float.BYTES, ORDER));
            sum.blend(sum.max(0f), clamp).intoMemorySegment(out, (outOff + i) * Float.BYTES, ORDER);
        }
        for (; i < n; i++) {
            float sum = a.getAtIndex(F, aOff + i) + b.getAtIndex(F, bOff + i);
            out.setAtIndex(F, outOff + i, relu ? Math.max(sum, 0f) : sum);
        }
    }

    /** Elements equal to zero; the float comparison counts -0 as zero and NaN as not. */
    static long countZeros(MemorySegment s, long off, long n) {
        long zeros = 0;
        long i = 0, bound = n - n % V;
        for (; i < bound; i += V) {
            zeros += FloatVector.fromMemorySegment(SPECIES, s, (off + i) * Float.BYTES, ORDER).eq(0f).trueCount();
        }
        for (; i < n; i++) if (s.getAtIndex(F, off + i) == 0f) zeros++;
        return zeros;
    }

    /** y = max(x, 0) with Math.max semantics (NaN stays NaN, -0 becomes +0). */
    static void relu(MemorySegment x, long xOff, MemorySegment y, long yOff, long n) {
        long i = 0, bound = n - n % V;
        for (; i < bound; i += V) {
            FloatVector.fromMemorySegment(SPECIES, x, (xOff + i) * Float.BYTES, ORDER).max(0f)
                    .intoMemorySegment(y, (yOff + i) * Float.BYTES, ORDER);
        }
        for (; i < n; i++) y.setAtIndex(F, yOff + i, Math.max(x.getAtIndex(F, xOff + i), 0f));
    }

    /** dx = dy where y > 0, else 0. */
    static void reluBackward(MemorySegment y, long yOff, MemorySegment dy, long dyOff, MemorySegment dx, long dxOff, long n) {
        FloatVector zero = FloatVector.zero(SPECIES);
        long i = 0, bound = n - n % V;
        for (; i < bound; i += V) {
            VectorMask<Float> active = FloatVector.fromMemorySegment(SPECIES, y, (yOff + i) * Float.BYTES, ORDER)
                    .compare(VectorOperators.GT, 0f);
            zero.blend(FloatVector.fromMemorySegment(SPECIES, dy, (dyOff + i) * Float.BYTES, ORDER), active)
                    .intoMemorySegment(dx, (dxOff + i) * Float.BYTES, ORDER);
        }
        for (; i < n; i++) {
            dx.setAtIndex(F, dxOff + i, y.getAtIndex(F, yOff + i) > 0f ? dy.getAtIndex(F, dyOff + i) : 0f);
        }
    }

    /** dst[i] += value for n elements. */
    static void addScalar(MemorySegment s, long off, long n, float value) {
        long i = 0, bound = n - n % V;
        for (; i < bound; i += V) {
            long b = (off + i) * Float.BYTES;
            FloatVector.fromMemorySegment(SPECIES, s, b, ORDER).add(value).intoMemorySegment(s, b, ORDER);
        }
        for (; i < n; i++) s.setAtIndex(F, off + i, s.getAtIndex(F, off + i) + value);
    }

    /** Sum of n floats, accumulated in vector lanes of float and then in double. */
    static double sum(MemorySegment s, long off, long n) {
        FloatVector acc = FloatVector.zero(SPECIES);
        long i = 0, bound = n - n % V;
        for (; i < bound; i += V) acc = acc.add(FloatVector.fromMemorySegment(SPECIES, s, (off + i) * Float.BYTES, ORDER));
        double total = 0;
        for (int lane = 0; lane < V; lane++) total += acc.lane(lane);
        for (; i < n; i++) total += s.getAtIndex(F, off + i);
        return total;
    }
}
