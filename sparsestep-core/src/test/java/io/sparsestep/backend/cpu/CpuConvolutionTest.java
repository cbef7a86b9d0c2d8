package io.sparsestep.backend.cpu;

import io.sparsestep.backend.ConvGeometry;
import io.sparsestep.backend.Tensor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static io.sparsestep.backend.cpu.CpuTestSupport.*;
import static io.sparsestep.testing.Bits.assertSameBits;
import static org.junit.jupiter.api.Assertions.*;

/**
 * Convolution forward and both backward passes against naive double loops (relative 1e-4,
 * absolute 1e-4 * sqrt(fan-in)), plus central finite differences of the forward pass.
 * Backends with 1, 2 and 4 threads cover both schedules (samples spread over workers, and
 * a batch smaller than the pool running a parallel GEMM per sample).
 */
class CpuConvolutionTest {
    private static CpuBackend[] backends;

    private static final ConvGeometry[] GEOMETRIES = {
            new ConvGeometry(1, 1, 5, 7, 2, 3, 3, 1, 1, 1, 1),      // batch 1, 3x3, padding 1, non-square input
            new ConvGeometry(3, 2, 9, 6, 5, 5, 5, 2, 2, 1, 1),      // 5x5, stride 2, padding 1
            new ConvGeometry(3, 4, 6, 5, 3, 1, 1, 1, 1, 0, 0),      // pointwise: no im2col
            new ConvGeometry(2, 3, 7, 8, 4, 1, 1, 2, 2, 0, 0),      // 1x1 with stride 2
            new ConvGeometry(4, 3, 8, 8, 6, 3, 2, 1, 2, 0, 1),      // non-square filter, mixed strides
            new ConvGeometry(5, 16, 12, 10, 20, 3, 3, 1, 1, 1, 1),  // big enough for the blocked GEMM paths
            new ConvGeometry(2, 2, 3, 3, 3, 3, 3, 3, 3, 2, 2),      // padding larger than the stride
    };

    @BeforeAll
    static void start() {
        backends = new CpuBackend[]{new CpuBackend(1), new CpuBackend(2), new CpuBackend(4)};
    }

    @AfterAll
    static void stop() {
        for (CpuBackend be : backends) be.close();
    }

    private static int inH(ConvGeometry g, int oh, int r) {
        return oh * g.strideH() - g.padH() + r;
    }

    private static int inW(ConvGeometry g, int ow, int s) {
        return ow * g.strideW() - g.padW() + s;
    }

    /** Calls visit(xIndex, wIndex, yIndex) for every multiply of the convolution. */
    private interface Visit {
        void at(int xi, int wi, int yi);
    }

    private static void forEachTerm(ConvGeometry g, Visit v) {
        int oh = g.outH(), ow = g.outW();
        for (int i = 0; i < g.n(); i++)
            for (int k = 0; k < g.k(); k++)
                for (int y = 0; y < oh; y++)
                    for (int x = 0; x < ow; x++)
                        for (int c = 0; c < g.c(); c++)
                            for (int r = 0; r < g.r(); r++)
                                for (int s = 0; s < g.s(); s++) {
                                    int ih = inH(g, y, r), iw = inW(g, x, s);
                                    if (ih < 0 || ih >= g.h() || iw < 0 || iw >= g.w()) continue;
                                    v.at(((i * g.c() + c) * g.h() + ih) * g.w() + iw,
                                            ((k * g.c() + c) * g.r() + r) * g.s() + s,
                                            ((i * g.k() + k) * oh + y) * ow + x);
                                }
    }

    private static double[] refForward(ConvGeometry g, float[] x, float[] w) {
        double[] y = new double[(int) g.outputSize()];
        forEachTerm(g, (xi, wi, yi) -> y[yi] += (double) x[xi] * w[wi]);
        return y;
    }

    private static double[] refBackwardData(ConvGeometry g, float[] dy, float[] w) {
        double[] dx = new double[(int) g.inputSize()];
        forEachTerm(g, (xi, wi, yi) -> dx[xi] += (double) dy[yi] * w[wi]);
        return dx;
    }

    private static double[] refBackwardFilter(ConvGeometry g, float[] x, float[] dy) {
        double[] dw = new double[(int) g.filterSize()];
        forEachTerm(g, (xi, wi, yi) -> dw[wi] += (double) dy[yi] * x[xi]);
        return dw;
    }

    /** A workspace of exactly the advertised size, full of NaN so no op may assume it starts zeroed. */
    private static Tensor workspace(CpuBackend be, ConvGeometry g) {
        float[] junk = new float[(int) Math.max(1, be.convWorkspaceWords(g))];
        java.util.Arrays.fill(junk, Float.NaN);
        return tensor(be, junk, junk.length);
    }

    @Test
    void allThreePassesMatchNaiveLoops() {
        long seed = 11;
        for (CpuBackend be : backends) {
            for (ConvGeometry g : GEOMETRIES) {
                Random r = new Random(seed++);
                float[] x = random(r, (int) g.inputSize()), w = random(r, (int) g.filterSize()), dy = random(r, (int) g.outputSize());
                Tensor tx = tensor(be, x, g.n(), g.c(), g.h(), g.w()), tw = tensor(be, w, g.k(), g.c(), g.r(), g.s());
                Tensor tdy = tensor(be, dy, g.n(), g.k(), g.outH(), g.outW());
                Tensor ty = tensor(be, random(r, (int) g.outputSize()), g.n(), g.k(), g.outH(), g.outW());
                Tensor tdx = tensor(be, random(r, (int) g.inputSize()), g.n(), g.c(), g.h(), g.w());
                Tensor tdw = tensor(be, random(r, (int) g.filterSize()), g.k(), g.c(), g.r(), g.s());
                Tensor ws = workspace(be, g);
                double fanIn = g.c() * g.r() * g.s(), tol = 1e-4 * Math.sqrt(Math.max(fanIn, g.k()) * 4);
                String what = g + " on " + be.threads() + " threads";

                be.convForward(g, tx, tw, ty, ws);
                assertClose(refForward(g, x, w), read(be, ty), 1e-4, tol, "forward " + what);
                be.convBackwardData(g, tdy, tw, tdx, ws);
                assertClose(refBackwardData(g, dy, w), read(be, tdx), 1e-4, tol, "backward data " + what);
                be.convBackwardFilter(g, tx, tdy, tdw, ws);
                double filterTol = 1e-4 * Math.sqrt((double) g.n() * g.outH() * g.outW() * 4);
                assertClose(refBackwardFilter(g, x, dy), read(be, tdw), 1e-4, filterTol, "backward filter " + what);
            }
        }
    }

    /**
     * The filter gradient sums over samples, spread over workers that take samples as they
     * come free. The sum must not depend on which worker took which: the same inputs give
     * the same bits every call (per-worker partial sums made three identical LeNet-5
     * training runs end with three different weight files).
     */
    @Test
    void theFilterGradientIsBitwiseReproducible() {
        ConvGeometry g = new ConvGeometry(37, 3, 9, 9, 5, 3, 3, 1, 1, 1, 1);
        for (CpuBackend be : backends) {
            Random r = new Random(5);
            Tensor tx = tensor(be, random(r, (int) g.inputSize()), g.n(), g.c(), g.h(), g.w());
            Tensor tdy = tensor(be, random(r, (int) g.outputSize()), g.n(), g.k(), g.outH(), g.outW());
            Tensor tdw = zeros(be, g.k(), g.c(), g.r(), g.s());
            Tensor ws = workspace(be, g);
            be.convBackwardFilter(g, tx, tdy, tdw, ws);
            float[] first = read(be, tdw);
            for (int call = 1; call < 40; call++) {
                be.convBackwardFilter(g, tx, tdy, tdw, ws);
                assertSameBits(first, read(be, tdw), "dw on call " + call + " with " + be.threads() + " threads");
            }
        }
    }

    /** L(x, w) = sum(conv(x, w) * R) in double; its gradients are backwardData(R) and backwardFilter(x, R). */
    private static double objective(CpuBackend be, ConvGeometry g, Tensor x, Tensor w, Tensor y, Tensor ws, float[] weights) {
        be.convForward(g, x, w, y, ws);
        return dot(read(be, y), weights);
    }

    @Test
    void gradientsMatchFiniteDifferencesOfTheForwardPass() {
        CpuBackend be = backends[1];
        Random r = new Random(5);
        for (ConvGeometry g : new ConvGeometry[]{GEOMETRIES[1], GEOMETRIES[4], GEOMETRIES[2]}) {
            float[] x = random(r, (int) g.inputSize()), w = random(r, (int) g.filterSize()), rw = random(r, (int) g.outputSize());
            Tensor tx = tensor(be, x, (int) g.inputSize()), tw = tensor(be, w, (int) g.filterSize());
            Tensor ty = zeros(be, (int) g.outputSize()), tr = tensor(be, rw, (int) g.outputSize());
            Tensor tdx = zeros(be, (int) g.inputSize()), tdw = zeros(be, (int) g.filterSize());
            Tensor ws = workspace(be, g);
            be.convBackwardData(g, tr, tw, tdx, ws);
            be.convBackwardFilter(g, tx, tr, tdw, ws);
            float[] dx = read(be, tdx), dw = read(be, tdw);
            float h = 1e-2f;
            for (int trial = 0; trial < 12; trial++) {
                int i = r.nextInt(x.length);
                float[] xp = x.clone(), xm = x.clone();
                xp[i] += h;
                xm[i] -= h;
                be.upload(java.lang.foreign.MemorySegment.ofArray(xp), tx);
                double lp = objective(be, g, tx, tw, ty, ws, rw);
                be.upload(java.lang.foreign.MemorySegment.ofArray(xm), tx);
                double lm = objective(be, g, tx, tw, ty, ws, rw);
                assertClose((lp - lm) / (xp[i] - xm[i]), dx[i], 1e-3, 2e-3, "d/dx[" + i + "] of " + g);
            }
            be.upload(java.lang.foreign.MemorySegment.ofArray(x), tx);
            for (int trial = 0; trial < 12; trial++) {
                int i = r.nextInt(w.length);
                float[] wp = w.clone(), wm = w.clone();
                wp[i] += h;
                wm[i] -= h;
                be.upload(java.lang.foreign.MemorySegment.ofArray(wp), tw);
                double lp = objective(be, g, tx, tw, ty, ws, rw);
                be.upload(java.lang.foreign.MemorySegment.ofArray(wm), tw);
                double lm = objective(be, g, tx, tw, ty, ws, rw);
                assertClose((lp - lm) / (wp[i] - wm[i]), dw[i], 1e-3, 2e-3, "d/dw[" + i + "] of " + g);
            }
            be.upload(java.lang.foreign.MemorySegment.ofArray(w), tw);
        }
    }

    @Test
    void workspaceCoversPerWorkerColumnsAndPartialFilterGradients() {
        ConvGeometry g = new ConvGeometry(8, 3, 10, 10, 4, 3, 3, 1, 1, 1, 1);
        long col = 3L * 3 * 3 * 10 * 10, filter = g.filterSize();
        assertEquals(col, backends[0].convWorkspaceWords(g));
        assertEquals(2 * col + filter, backends[1].convWorkspaceWords(g));
        assertEquals(4 * col + 3 * filter, backends[2].convWorkspaceWords(g));
        // A batch smaller than the pool runs one sample at a time: one column matrix.
        assertEquals(col, backends[2].convWorkspaceWords(g.withBatch(3)));
        // So a workspace sized for the full batch also serves any smaller last batch.
        for (CpuBackend be : backends) {
            for (int batch = 1; batch < g.n(); batch++) {
                assertTrue(be.convWorkspaceWords(g.withBatch(batch)) <= be.convWorkspaceWords(g), "batch " + batch);
            }
        }
        // Pointwise convolutions read x directly and need only the partial filter gradients.
        ConvGeometry pointwise = new ConvGeometry(8, 3, 10, 10, 4, 1, 1, 1, 1, 0, 0);
        assertEquals(0, backends[0].convWorkspaceWords(pointwise));
        assertEquals(3 * pointwise.filterSize(), backends[2].convWorkspaceWords(pointwise));
    }

    @Test
    void rejectsAWorkspaceSmallerThanAdvertised() {
        CpuBackend be = backends[1];
        ConvGeometry g = GEOMETRIES[1];
        Tensor x = zeros(be, (int) g.inputSize()), w = zeros(be, (int) g.filterSize()), y = zeros(be, (int) g.outputSize());
        Tensor small = zeros(be, (int) be.convWorkspaceWords(g) - 1);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> be.convForward(g, x, w, y, small));
        assertTrue(e.getMessage().contains("convWorkspaceWords"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> be.convForward(g, x, w, y, null));
        Tensor shortY = zeros(be, (int) g.outputSize() - 1);
        e = assertThrows(IllegalArgumentException.class, () -> be.convForward(g, x, w, shortY, workspace(be, g)));
        assertTrue(e.getMessage().contains("conv output y"), e.getMessage());
    }
}
