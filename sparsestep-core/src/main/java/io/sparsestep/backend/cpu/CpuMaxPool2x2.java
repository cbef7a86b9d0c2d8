package io.sparsestep.backend.cpu;

import io.sparsestep.backend.PoolGeometry;
import io.sparsestep.backend.PoolMode;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Max pooling with a 2x2 window, stride 2 and no padding (LeNet-5's and VGG-16's pools), one
 * plane at a time, V windows per step. The plane is first split into four contiguous runs (each
 * window's top-left, top-right, bottom-left and bottom-right element), so the scan over a
 * window becomes three vector compares and blends, without the branch per element of the
 * general loop: on random data that branch mispredicts about every other window, and it made
 * pooling a third of a LeNet-5 training step's CPU time. It keeps {@link CpuPooling}'s rule
 * exactly (the first NaN, else the first maximum, in row-major order), so its results are bit
 * for bit those of the general loop. The windows do not overlap, so the backward pass writes
 * each covered input element once instead of clearing the plane and adding into it; only an
 * odd last row or column, which no window covers, is cleared.
 */
final class CpuMaxPool2x2 {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT;
    private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
    private static final int V = SPECIES.length();
    private static final ByteOrder ORDER = ByteOrder.nativeOrder();

    private CpuMaxPool2x2() {
    }

    static boolean applies(PoolMode mode, PoolGeometry g) {
        return mode == PoolMode.MAX && g.windowH() == 2 && g.windowW() == 2 && g.strideH() == 2 && g.strideW() == 2
                && g.padH() == 0 && g.padW() == 0;
    }

    /** Floats of scratch a plane needs: its windows' four runs, and as many again for the backward pass's gradient runs. */
    static int scratchWords(PoolGeometry g) {
        return applies(PoolMode.MAX, g) ? 8 * g.outH() * g.outW() : 0;
    }

    static void forwardPlane(PoolGeometry g, MemorySegment x, MemorySegment y, int plane, float[] scratch) {
        int h = g.h(), w = g.w(), ow = g.outW(), p = g.outH() * ow, vectorEnd = p - p % V;
        long xBase = (long) plane * h * w, yBase = (long) plane * p;
        float[] q = split(g, x, xBase, scratch);
        for (int o = 0; o < vectorEnd; o += V) {
            new Windows(q, p, o).best().intoMemorySegment(y, (yBase + o) * Float.BYTES, ORDER);
        }
        for (int o = vectorEnd; o < p; o++) {
            int arg = argMax(q, p, o);
            y.setAtIndex(F, yBase + o, q[arg * p + o]);
        }
    }

    static void backwardPlane(PoolGeometry g, MemorySegment x, MemorySegment dy, MemorySegment dx, int plane, float[] scratch) {
        int h = g.h(), w = g.w(), ow = g.outW(), p = g.outH() * ow, vectorEnd = p - p % V;
        long xBase = (long) plane * h * w, yBase = (long) plane * p;
        // Only an odd last row or column is left uncovered by the windows; clear it with the rest.
        if (h % 2 != 0 || w % 2 != 0) dx.asSlice(xBase * Float.BYTES, (long) h * w * Float.BYTES).fill((byte) 0);
        // q: the windows' runs in scratch[0, 4P); r: the gradient runs in scratch[4P, 8P), indexed from R
        float[] q = split(g, x, xBase, scratch), r = scratch;
        int R = 4 * p;
        FloatVector zero = FloatVector.zero(SPECIES);
        for (int o = 0; o < vectorEnd; o += V) {
            Windows win = new Windows(q, p, o);
            // zero + grad, as the general loop's add into a cleared plane (so -0 becomes +0 alike).
            FloatVector grad = zero.add(FloatVector.fromMemorySegment(SPECIES, dy, (yBase + o) * Float.BYTES, ORDER));
            VectorMask<Float> d = win.dWins, c = win.cWins.andNot(d), b = win.bWins.andNot(win.cWins).andNot(d);
            grad.blend(zero, b.or(c).or(d)).intoArray(r, R + o);
            zero.blend(grad, b).intoArray(r, R + p + o);
            zero.blend(grad, c).intoArray(r, R + 2 * p + o);
            zero.blend(grad, d).intoArray(r, R + 3 * p + o);
        }
        for (int o = vectorEnd; o < p; o++) {
            // every run written (the scratch holds the last plane's values), the gradient at the window's argmax
            int arg = argMax(q, p, o);
            for (int k = 0; k < 4; k++) r[R + k * p + o] = k == arg ? 0f + dy.getAtIndex(F, yBase + o) : 0f;
        }
        // r back into the windows' places: the inverse of split.
        for (int o = 0; o < p; o++) {
            long at = xBase + 2L * (o / ow) * w + 2L * (o % ow);
            dx.setAtIndex(F, at, r[R + o]);
            dx.setAtIndex(F, at + 1, r[R + p + o]);
            dx.setAtIndex(F, at + w, r[R + 2 * p + o]);
            dx.setAtIndex(F, at + w + 1, r[R + 3 * p + o]);
        }
    }

    /**
     * The plane's windows as four contiguous runs of P = outH * outW: q[o] the top-left
     * element of output o's window, q[P + o] the top right, q[2P + o] the bottom left and
     * q[3P + o] the bottom right, so V windows are four plain vector loads.
     */
    private static float[] split(PoolGeometry g, MemorySegment x, long xBase, float[] q) {
        int w = g.w(), ow = g.outW(), p = g.outH() * ow;
        for (int o = 0; o < p; o++) {
            long at = xBase + 2L * (o / ow) * w + 2L * (o % ow);
            q[o] = x.getAtIndex(F, at);
            q[p + o] = x.getAtIndex(F, at + 1);
            q[2 * p + o] = x.getAtIndex(F, at + w);
            q[3 * p + o] = x.getAtIndex(F, at + w + 1);
        }
        return q;
    }

    /**
     * V consecutive windows of a {@link #split} plane (a, b the top row, c, d the bottom row
     * of each), and the scan's running winners without a branch: b over a, then c,
     * then d, each by the {@link #wins} rule.
     */
    private static final class Windows {
        final VectorMask<Float> bWins, cWins, dWins;
        private final FloatVector best;

        Windows(float[] q, int p, int o) {
            FloatVector a = FloatVector.fromArray(SPECIES, q, o), b = FloatVector.fromArray(SPECIES, q, p + o);
            FloatVector c = FloatVector.fromArray(SPECIES, q, 2 * p + o), d = FloatVector.fromArray(SPECIES, q, 3 * p + o);
            bWins = wins(b, a);
            FloatVector sofar = a.blend(b, bWins);
            cWins = wins(c, sofar);
            sofar = sofar.blend(c, cWins);
            dWins = wins(d, sofar);
            best = sofar.blend(d, dWins);
        }

        FloatVector best() { return best; }

        private static VectorMask<Float> wins(FloatVector v, FloatVector best) {
            return v.compare(VectorOperators.GT, best).or(v.test(VectorOperators.IS_NAN).andNot(best.test(VectorOperators.IS_NAN)));
        }
    }

    /** Which of window o of a {@link #split} plane wins (0..3 in row-major order): the first NaN, else the first maximum. */
    private static int argMax(float[] q, int p, int o) {
        int arg = 0;
        for (int k = 1; k < 4; k++) {
            if (wins(q[k * p + o], q[arg * p + o])) arg = k;
        }
        return arg;
    }

    /** Whether v replaces the best so far in a row-major scan: larger, or the first NaN. */
    private static boolean wins(float v, float best) {
        // Non-short-circuit operators, so the JIT can select without a branch per window.
        return v > best | (v != v & best == best);
    }
}
