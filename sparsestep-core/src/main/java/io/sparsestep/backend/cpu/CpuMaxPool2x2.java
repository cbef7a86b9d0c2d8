package io.sparsestep.backend.cpu;

import io.sparsestep.backend.PoolGeometry;
import io.sparsestep.backend.PoolMode;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Max pooling with a 2x2 window, stride 2 and no padding (LeNet-5's and VGG-16's pools), one
 * plane at a time, with the window's four loads and compares written out. It keeps
 * {@link CpuPooling}'s rule exactly (the first NaN, else the first maximum, in row-major
 * order: a, b on the top row, then c, d), so its results are bit for bit those of the
 * general loop, which spent most of its time on the loop bounds of a four-element window
 * (LeNet-5 at batch 128: pooling was a third of a training step's CPU time). The windows do
 * not overlap, so the backward pass writes each covered input element once instead of
 * clearing the plane and adding into it; only an odd last row or column, which no window
 * covers, is cleared.
 */
final class CpuMaxPool2x2 {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT;

    private CpuMaxPool2x2() {
    }

    static boolean applies(PoolMode mode, PoolGeometry g) {
        return mode == PoolMode.MAX && g.windowH() == 2 && g.windowW() == 2 && g.strideH() == 2 && g.strideW() == 2
                && g.padH() == 0 && g.padW() == 0;
    }

    static void forwardPlane(PoolGeometry g, MemorySegment x, MemorySegment y, int plane) {
        int h = g.h(), w = g.w(), oh = g.outH(), ow = g.outW();
        long xBase = (long) plane * h * w, yBase = (long) plane * oh * ow;
        for (int i = 0; i < oh; i++) {
            long top = xBase + 2L * i * w, out = yBase + (long) i * ow;
            for (int j = 0; j < ow; j++) {
                long at = top + 2L * j;
                int arg = argMax(x, at, w);
                y.setAtIndex(F, out + j, x.getAtIndex(F, at + (arg >> 1) * w + (arg & 1)));
            }
        }
    }

    static void backwardPlane(PoolGeometry g, MemorySegment x, MemorySegment dy, MemorySegment dx, int plane) {
        int h = g.h(), w = g.w(), oh = g.outH(), ow = g.outW();
        long xBase = (long) plane * h * w, yBase = (long) plane * oh * ow;
        // Only an odd last row or column is left uncovered by the windows; clear it with the rest.
        if (h % 2 != 0 || w % 2 != 0) dx.asSlice(xBase * Float.BYTES, (long) h * w * Float.BYTES).fill((byte) 0);
        for (int i = 0; i < oh; i++) {
            long top = xBase + 2L * i * w, out = yBase + (long) i * ow;
            for (int j = 0; j < ow; j++) {
                long at = top + 2L * j;
                int arg = argMax(x, at, w);
                float grad = 0f + dy.getAtIndex(F, out + j);
                dx.setAtIndex(F, at, arg == 0 ? grad : 0f);
                dx.setAtIndex(F, at + 1, arg == 1 ? grad : 0f);
                dx.setAtIndex(F, at + w, arg == 2 ? grad : 0f);
                dx.setAtIndex(F, at + w + 1, arg == 3 ? grad : 0f);
            }
        }
    }

    /**
     * Which of the window at {@code at} (row length w) wins: 0 = top left, 1 = top right,
     * 2 = bottom left, 3 = bottom right; the first NaN, else the first maximum.
     */
    private static int argMax(MemorySegment x, long at, int w) {
        float a = x.getAtIndex(F, at), b = x.getAtIndex(F, at + 1);
        float c = x.getAtIndex(F, at + w), d = x.getAtIndex(F, at + w + 1);
        boolean bWins = wins(b, a);
        float best = bWins ? b : a;
        int arg = bWins ? 1 : 0;
        boolean cWins = wins(c, best);
        best = cWins ? c : best;
        arg = cWins ? 2 : arg;
        return wins(d, best) ? 3 : arg;
    }

    /** Whether v replaces the best so far in a row-major scan: larger, or the first NaN. */
    private static boolean wins(float v, float best) {
        // Non-short-circuit operators, so the JIT can select without a branch per window.
        return v > best | (v != v & best == best);
    }
}
