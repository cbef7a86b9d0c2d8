package io.sparsestep.backend.cpu;

import io.sparsestep.backend.PoolGeometry;
import io.sparsestep.backend.PoolMode;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Max and average pooling on one [h, w] plane at a time ({@code plane} = sample * channels
 * + channel); planes are independent, so the backend runs them on different workers.
 * Max pooling picks the first maximum in a row-major scan of the window (forward and
 * backward agree because both use {@link #argMax}); average pooling divides by the number
 * of in-bounds elements. Padding never lets a window fall wholly outside the input
 * (PoolGeometry requires pad < window), so every window has at least one element.
 */
final class CpuPooling {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT;

    private CpuPooling() {
    }

    /** {@code scratch}: at least {@link CpuMaxPool2x2#scratchWords} floats, the 2x2 path's window runs. */
    static void forwardPlane(PoolMode mode, PoolGeometry g, MemorySegment x, MemorySegment y, int plane, float[] scratch) {
        if (CpuMaxPool2x2.applies(mode, g)) {
            CpuMaxPool2x2.forwardPlane(g, x, y, plane, scratch);
            return;
        }
        generalForwardPlane(mode, g, x, y, plane);
    }

    /** The loop for any window; {@link #forwardPlane} takes {@link CpuMaxPool2x2} where it applies. */
    static void generalForwardPlane(PoolMode mode, PoolGeometry g, MemorySegment x, MemorySegment y, int plane) {
        int h = g.h(), w = g.w(), oh = g.outH(), ow = g.outW();
        long xBase = (long) plane * h * w, yBase = (long) plane * oh * ow;
        for (int i = 0; i < oh; i++) {
            int h0 = Math.max(0, i * g.strideH() - g.padH());
            int h1 = Math.min(h, i * g.strideH() - g.padH() + g.windowH());
            for (int j = 0; j < ow; j++) {
                int w0 = Math.max(0, j * g.strideW() - g.padW());
                int w1 = Math.min(w, j * g.strideW() - g.padW() + g.windowW());
                float out;
                if (mode == PoolMode.MAX) {
                    out = x.getAtIndex(F, xBase + argMax(x, xBase, w, h0, h1, w0, w1));
                } else {
                    double sum = 0;
                    for (int r = h0; r < h1; r++) {
                        for (int c = w0; c < w1; c++) sum += x.getAtIndex(F, xBase + (long) r * w + c);
                    }
                    out = (float) (sum / ((h1 - h0) * (w1 - w0)));
                }
                y.setAtIndex(F, yBase + (long) i * ow + j, out);
            }
        }
    }

    /** {@code scratch} as for {@link #forwardPlane}. */
    static void backwardPlane(PoolMode mode, PoolGeometry g, MemorySegment x, MemorySegment dy, MemorySegment dx, int plane,
                              float[] scratch) {
        if (CpuMaxPool2x2.applies(mode, g)) {
            CpuMaxPool2x2.backwardPlane(g, x, dy, dx, plane, scratch);
            return;
        }
        generalBackwardPlane(mode, g, x, dy, dx, plane);
    }

    /** The loop for any window; {@link #backwardPlane} takes {@link CpuMaxPool2x2} where it applies. */
    static void generalBackwardPlane(PoolMode mode, PoolGeometry g, MemorySegment x, MemorySegment dy, MemorySegment dx, int plane) {
        int h = g.h(), w = g.w(), oh = g.outH(), ow = g.outW();
        long xBase = (long) plane * h * w, yBase = (long) plane * oh * ow;
        // Overlapping windows add up, so the plane starts from zero.
        dx.asSlice(xBase * Float.BYTES, (long) h * w * Float.BYTES).fill((byte) 0);
        for (int i = 0; i < oh; i++) {
            int h0 = Math.max(0, i * g.strideH() - g.padH());
            int h1 = Math.min(h, i * g.strideH() - g.padH() + g.windowH());
            for (int j = 0; j < ow; j++) {
                int w0 = Math.max(0, j * g.strideW() - g.padW());
                int w1 = Math.min(w, j * g.strideW() - g.padW() + g.windowW());
                float grad = dy.getAtIndex(F, yBase + (long) i * ow + j);
                if (mode == PoolMode.MAX) {
                    long at = xBase + argMax(x, xBase, w, h0, h1, w0, w1);
                    dx.setAtIndex(F, at, dx.getAtIndex(F, at) + grad);
                } else {
                    float share = grad / ((h1 - h0) * (w1 - w0));
                    for (int r = h0; r < h1; r++) {
                        for (int c = w0; c < w1; c++) {
                            long at = xBase + (long) r * w + c;
                            dx.setAtIndex(F, at, dx.getAtIndex(F, at) + share);
                        }
                    }
                }
            }
        }
    }

    /**
     * Offset within the plane of the first NaN, or else the first maximum, of the window rows
     * [h0,h1) x cols [w0,w1): a NaN passes through max pooling (as cuDNN's PROPAGATE_NAN),
     * so a diverged activation still reaches the loss.
     */
    private static long argMax(MemorySegment x, long xBase, int w, int h0, int h1, int w0, int w1) {
        long best = (long) h0 * w + w0;
        float bestValue = x.getAtIndex(F, xBase + best);
        for (int r = h0; r < h1; r++) {
            for (int c = w0; c < w1; c++) {
                long at = (long) r * w + c;
                float v = x.getAtIndex(F, xBase + at);
                if (v > bestValue || (Float.isNaN(v) && !Float.isNaN(bestValue))) {
                    bestValue = v;
                    best = at;
                }
            }
        }
        return best;
    }
}
