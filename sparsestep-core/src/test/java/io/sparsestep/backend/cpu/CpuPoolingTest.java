package io.sparsestep.backend.cpu;

import io.sparsestep.backend.PoolGeometry;
import io.sparsestep.backend.PoolMode;
import io.sparsestep.backend.Tensor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

import static io.sparsestep.backend.cpu.CpuTestSupport.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * Max and average pooling against naive loops (1e-5), the first-maximum rule, finite
 * differences, and the 2x2/2 max-pool path bit for bit against the general loop.
 */
class CpuPoolingTest {
    private static CpuBackend be;

    private static final PoolGeometry[] GEOMETRIES = {
            new PoolGeometry(1, 1, 4, 4, 2, 2, 2, 2, 0, 0),   // classic 2x2/2
            new PoolGeometry(3, 2, 7, 5, 3, 3, 2, 2, 1, 1),   // padded, odd sizes, overlapping windows
            new PoolGeometry(2, 3, 6, 9, 3, 2, 1, 3, 0, 1),   // non-square window and strides
            new PoolGeometry(2, 4, 5, 6, 5, 6, 1, 1, 0, 0),   // global pool
            new PoolGeometry(1, 2, 3, 3, 2, 2, 1, 1, 1, 1),   // padding on every side, stride 1
            new PoolGeometry(2, 3, 7, 9, 2, 2, 2, 2, 0, 0),   // 2x2/2 (CpuMaxPool2x2 for max) with an uncovered last row and column
    };

    @BeforeAll
    static void start() {
        be = new CpuBackend(2);
    }

    @AfterAll
    static void stop() {
        be.close();
    }

    /** Calls visit(outIndex, inIndex) for each in-bounds element of each window, in row-major window order. */
    private interface Visit {
        void at(int out, int in, int count);
    }

    private static void forEachWindow(PoolGeometry g, Visit v) {
        int oh = g.outH(), ow = g.outW();
        for (int plane = 0; plane < g.n() * g.c(); plane++)
            for (int i = 0; i < oh; i++)
                for (int j = 0; j < ow; j++) {
                    List<Integer> in = new ArrayList<>();
                    for (int r = 0; r < g.windowH(); r++)
                        for (int c = 0; c < g.windowW(); c++) {
                            int y = i * g.strideH() - g.padH() + r, x = j * g.strideW() - g.padW() + c;
                            if (y >= 0 && y < g.h() && x >= 0 && x < g.w()) in.add((plane * g.h() + y) * g.w() + x);
                        }
                    for (int idx : in) v.at((plane * oh + i) * ow + j, idx, in.size());
                }
    }

    private static double[] refForward(PoolMode mode, PoolGeometry g, float[] x) {
        double[] y = new double[(int) g.outputSize()];
        boolean[] seen = new boolean[y.length];
        forEachWindow(g, (o, i, count) -> {
            if (mode == PoolMode.AVERAGE) y[o] += (double) x[i] / count;
            else if (!seen[o] || x[i] > y[o]) y[o] = x[i];
            seen[o] = true;
        });
        return y;
    }

    private static double[] refBackward(PoolMode mode, PoolGeometry g, float[] x, float[] dy) {
        double[] dx = new double[(int) g.inputSize()];
        int[] arg = new int[(int) g.outputSize()];
        double[] best = new double[arg.length];
        boolean[] seen = new boolean[arg.length];
        forEachWindow(g, (o, i, count) -> {
            if (mode == PoolMode.AVERAGE) dx[i] += (double) dy[o] / count;
            else if (!seen[o] || x[i] > best[o]) {
                best[o] = x[i];
                arg[o] = i;
            }
            seen[o] = true;
        });
        if (mode == PoolMode.MAX) for (int o = 0; o < arg.length; o++) dx[arg[o]] += dy[o];
        return dx;
    }

    @Test
    void forwardAndBackwardMatchNaiveLoops() {
        Random r = new Random(3);
        for (PoolMode mode : PoolMode.values()) {
            for (PoolGeometry g : GEOMETRIES) {
                float[] x = random(r, (int) g.inputSize()), dy = random(r, (int) g.outputSize());
                Tensor tx = tensor(be, x, g.n(), g.c(), g.h(), g.w()), ty = zeros(be, g.n(), g.c(), g.outH(), g.outW());
                Tensor tdy = tensor(be, dy, g.n(), g.c(), g.outH(), g.outW());
                Tensor tdx = tensor(be, random(r, (int) g.inputSize()), g.n(), g.c(), g.h(), g.w());
                be.poolForward(mode, g, tx, ty);
                assertClose(refForward(mode, g, x), read(be, ty), 1e-5, 1e-6, mode + " forward " + g);
                be.poolBackward(mode, g, tx, ty, tdy, tdx);
                assertClose(refBackward(mode, g, x, dy), read(be, tdx), 1e-5, 1e-6, mode + " backward " + g);
            }
        }
    }

    @Test
    void maxRoutesTheGradientToTheFirstOfTiedMaxima() {
        PoolGeometry g = new PoolGeometry(1, 1, 2, 4, 2, 2, 2, 2, 0, 0);
        // Window 0 holds {1, 5, 5, 2}: the first 5 in row-major order is x[1], not x[4].
        // Window 1 holds {3, 3, 3, 3}: the gradient goes to its top-left element x[2].
        float[] x = {1, 5, 3, 3, 5, 2, 3, 3};
        Tensor tx = tensor(be, x, 1, 1, 2, 4), ty = zeros(be, 1, 1, 1, 2), tdx = zeros(be, 1, 1, 2, 4);
        be.poolForward(PoolMode.MAX, g, tx, ty);
        assertArrayEquals(new float[]{5, 3}, read(be, ty));
        be.poolBackward(PoolMode.MAX, g, tx, ty, tensor(be, new float[]{10, 20}, 1, 1, 1, 2), tdx);
        assertArrayEquals(new float[]{0, 10, 20, 0, 0, 0, 0, 0}, read(be, tdx));
    }

    @Test
    void aNaNAnywhereInAMaxWindowPassesThrough() {
        PoolGeometry g = new PoolGeometry(1, 1, 2, 4, 2, 2, 2, 2, 0, 0);
        // Window 0 holds {1, 5, NaN, 2} (NaN after the maximum), window 1 {3, 4, 3, 3}.
        float[] x = {1, 5, 3, 4, Float.NaN, 2, 3, 3};
        Tensor tx = tensor(be, x, 1, 1, 2, 4), ty = zeros(be, 1, 1, 1, 2);
        be.poolForward(PoolMode.MAX, g, tx, ty);
        float[] y = read(be, ty);
        assertTrue(Float.isNaN(y[0]), "NaN must reach the output, got " + y[0]);
        assertEquals(4f, y[1]);
    }

    @Test
    void paddedAverageCountsOnlyInBoundsElements() {
        // 2x2 input, 2x2 window, stride 1, padding 1: the corner windows hold one element each.
        PoolGeometry g = new PoolGeometry(1, 1, 2, 2, 2, 2, 1, 1, 1, 1);
        Tensor tx = tensor(be, new float[]{1, 2, 3, 4}, 1, 1, 2, 2), ty = zeros(be, 1, 1, 3, 3);
        be.poolForward(PoolMode.AVERAGE, g, tx, ty);
        assertArrayEquals(new float[]{1, 1.5f, 2, 2, 2.5f, 3, 3, 3.5f, 4}, read(be, ty));
    }

    @Test
    void gradientsMatchFiniteDifferences() {
        Random r = new Random(9);
        for (PoolMode mode : PoolMode.values()) {
            for (PoolGeometry g : new PoolGeometry[]{GEOMETRIES[1], GEOMETRIES[2], GEOMETRIES[5]}) {
                int n = (int) g.inputSize();
                // Distinct values at least 0.01 apart, so a 1e-3 nudge never changes which element is the maximum.
                List<Integer> perm = new ArrayList<>();
                for (int i = 0; i < n; i++) perm.add(i);
                Collections.shuffle(perm, r);
                float[] x = new float[n];
                for (int i = 0; i < n; i++) x[i] = perm.get(i) * 0.01f - 0.3f;
                float[] weights = random(r, (int) g.outputSize());
                Tensor tx = tensor(be, x, n), ty = zeros(be, (int) g.outputSize());
                Tensor tw = tensor(be, weights, weights.length), tdx = zeros(be, n);
                be.poolForward(mode, g, tx, ty);
                be.poolBackward(mode, g, tx, ty, tw, tdx);
                float[] dx = read(be, tdx);
                float h = 1e-3f;
                for (int i = 0; i < n; i++) {
                    float[] xp = x.clone(), xm = x.clone();
                    xp[i] += h;
                    xm[i] -= h;
                    be.upload(MemorySegment.ofArray(xp), tx);
                    be.poolForward(mode, g, tx, ty);
                    double lp = dot(read(be, ty), weights);
                    be.upload(MemorySegment.ofArray(xm), tx);
                    be.poolForward(mode, g, tx, ty);
                    double lm = dot(read(be, ty), weights);
                    assertClose((lp - lm) / (xp[i] - xm[i]), dx[i], 1e-2, 1e-2, mode + " d/dx[" + i + "] of " + g);
                }
            }
        }
    }

    @Test
    void twoByTwoMaxPathGivesTheGeneralLoopsBitsOnAnyThreadCount() {
        Random r = new Random(17);
        // Whole vectors of windows only (12x12 outputs), vectors and a scalar rest (5x6), the rest only (3x4).
        PoolGeometry[] shapes = {new PoolGeometry(3, 4, 24, 24, 2, 2, 2, 2, 0, 0), new PoolGeometry(2, 3, 10, 12, 2, 2, 2, 2, 0, 0),
                GEOMETRIES[5]};
        for (PoolGeometry g : shapes) {
            assertTrue(CpuMaxPool2x2.applies(PoolMode.MAX, g), "the 2x2/2 path must be taken for " + g);
            int n = (int) g.inputSize(), m = (int) g.outputSize();
            // Few distinct values, so windows hold ties, plus signed zeros and NaNs: the cases where
            // "first maximum" and "first NaN" decide which element wins.
            float[] pool = {0f, -0f, 1f, 1f, 2f, -3f, Float.NaN, Float.intBitsToFloat(0x7fc00001)};
            float[] x = new float[n], dy = random(r, m);
            for (int i = 0; i < n; i++) x[i] = pool[r.nextInt(i % 50 == 0 ? pool.length : pool.length - 2)];
            dy[0] = -0f;
            float[] y = new float[m], dx = new float[n];
            MemorySegment sx = MemorySegment.ofArray(x), sy = MemorySegment.ofArray(y);
            MemorySegment sdy = MemorySegment.ofArray(dy), sdx = MemorySegment.ofArray(dx);
            for (int plane = 0; plane < g.n() * g.c(); plane++) {
                CpuPooling.generalForwardPlane(PoolMode.MAX, g, sx, sy, plane);
                CpuPooling.generalBackwardPlane(PoolMode.MAX, g, sx, sdy, sdx, plane);
            }
            for (int threads : new int[]{1, 3}) {
                try (CpuBackend b = new CpuBackend(threads)) {
                    Tensor tx = tensor(b, x, g.n(), g.c(), g.h(), g.w()), ty = zeros(b, g.n(), g.c(), g.outH(), g.outW());
                    Tensor tdy = tensor(b, dy, g.n(), g.c(), g.outH(), g.outW());
                    Tensor tdx = tensor(b, random(r, n), g.n(), g.c(), g.h(), g.w());
                    b.poolForward(PoolMode.MAX, g, tx, ty);
                    b.poolBackward(PoolMode.MAX, g, tx, ty, tdy, tdx);
                    assertArrayEquals(bits(y), bits(read(b, ty)), "forward bits, " + threads + " threads, " + g);
                    assertArrayEquals(bits(dx), bits(read(b, tdx)), "backward bits, " + threads + " threads, " + g);
                }
            }
        }
    }

    private static int[] bits(float[] v) {
        int[] out = new int[v.length];
        for (int i = 0; i < v.length; i++) out[i] = Float.floatToRawIntBits(v[i]);
        return out;
    }
}
