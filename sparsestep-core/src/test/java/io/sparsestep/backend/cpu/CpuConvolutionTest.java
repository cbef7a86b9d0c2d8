package io.sparsestep.backend.cpu;

import io.sparsestep.backend.ConvGeometry;
import io.sparsestep.backend.Tensor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.Random;

import static io.sparsestep.backend.cpu.CpuTestSupport.*;
import static io.sparsestep.testing.Bits.assertSameBits;
import static org.junit.jupiter.api.Assertions.*;

/**
 * Convolution forward and both backward passes against naive double loops (relative 1e-4,
 * absolute 1e-4 * sqrt(fan-in)), plus central finite differences of the forward pass (on
 * the im2col path and, for the 16-channel stride-1 geometry, the implicit one).
 * Backends with 1, 2 and 4 threads cover both schedules of the im2col path (samples spread
 * over workers, and a batch smaller than the pool running a parallel GEMM per sample) and
 * batches smaller than the pool on the implicit one.
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

    /**
     * Stride-1 geometries of the implicit-GEMM path ({@link CpuImplicitConvolution}): output
     * widths that are a multiple of the vector length (the kernel writes y directly) and ones
     * that are not (wide positions, copied out), maps below 64 positions (groups of samples
     * in one compact column matrix), filter and channel counts that leave partial
     * register tiles, more than one tile of filters in the filter gradient, non-square filters
     * and paddings from 0 to size - 1.
     */
    private static final ConvGeometry[] IMPLICIT = {
            new ConvGeometry(4, 3, 16, 32, 12, 3, 3, 1, 1, 1, 1),    // natural columns (outW 32), 12 filters: a partial row tile
            new ConvGeometry(5, 5, 9, 16, 40, 3, 3, 1, 1, 1, 1),     // natural, 9 x 16 = 144 positions: a half column strip; 40 filters
            new ConvGeometry(6, 7, 8, 8, 9, 3, 3, 1, 1, 1, 1),       // wide (outW 8 in a padded row of 10)
            new ConvGeometry(4, 2, 12, 11, 5, 5, 5, 1, 1, 0, 0),     // 5x5 unpadded, as LeNet-5
            new ConvGeometry(4, 3, 7, 9, 6, 5, 5, 1, 1, 2, 2),       // 5x5 padding 2
            new ConvGeometry(4, 4, 10, 16, 3, 3, 1, 1, 1, 1, 0),     // 3x1 filter, padding only along h
            new ConvGeometry(4, 2, 6, 6, 33, 2, 2, 1, 1, 1, 1),      // even filter with full padding, 33 filters
            new ConvGeometry(37, 6, 2, 2, 10, 3, 3, 1, 1, 1, 1),    // 2x2 maps: groups of 32 samples, the last one of 5
            new ConvGeometry(9, 5, 4, 4, 12, 3, 3, 1, 1, 1, 1),     // 4x4 maps: groups of 8, the last one of 1
            new ConvGeometry(6, 3, 10, 12, 16, 3, 3, 1, 1, 1, 1),   // 16 filters (one vector) over 27 taps: a partial 16-tap tile
            new ConvGeometry(3, 5, 9, 7, 17, 3, 3, 1, 1, 1, 1),     // 17 filters: just past the 16-filter tile
            new ConvGeometry(3, 4, 10, 16, 6, 5, 5, 1, 1, 0, 0),    // backward data over natural columns with taps cut per strip (dy padded by 4)
            new ConvGeometry(3, 3, 9, 13, 5, 3, 3, 1, 1, 0, 0),     // 3x3 unpadded: dy padded by 2, wide columns, taps cut per strip
    };

    /**
     * Strided geometries, run through their stride phases ({@link CpuImplicitConvolution}):
     * ResNet's 3x3 stride-2 downsampling at odd and even sizes,
     * channel and filter counts off multiples of 8 and 16, batches smaller than the 2- and
     * 4-thread pools, a map small enough for the grouped path, phases without a tap (filter
     * smaller than the stride), paddings from 0 to beyond the stride, and stride 3.
     */
    private static final ConvGeometry[] STRIDED = {
            new ConvGeometry(3, 5, 33, 31, 12, 3, 3, 2, 2, 1, 1),    // odd input: outW 16 (natural columns), outH 17
            new ConvGeometry(2, 3, 17, 17, 20, 3, 3, 2, 2, 1, 1),    // outW 9: wide; batch 2 below 4 threads
            new ConvGeometry(4, 6, 16, 16, 40, 3, 3, 2, 2, 1, 1),    // 16 -> 8 as ResNet's last stage, 40 filters: two filter tiles
            new ConvGeometry(9, 5, 8, 8, 7, 3, 3, 2, 2, 1, 1),       // 4x4 output: grouped path over the phases
            new ConvGeometry(3, 2, 11, 10, 5, 4, 4, 2, 2, 2, 1),     // even 4x4 filter, padding 2 and 1
            new ConvGeometry(2, 3, 13, 12, 6, 5, 3, 3, 2, 0, 2),     // strides 3 and 2, padding beyond the stride
            new ConvGeometry(1, 4, 9, 9, 16, 3, 3, 2, 2, 1, 1),      // a single sample, 16 filters
            new ConvGeometry(2, 3, 7, 7, 4, 2, 2, 2, 2, 0, 0),       // 2x2 stride 2: taps that never overlap; the last row unread
            new ConvGeometry(2, 3, 10, 9, 4, 1, 3, 3, 2, 0, 1),      // 1x3 filter at stride 3: two of three row phases hold no tap
    };

    @BeforeAll
    static void start() {
        backends = new CpuBackend[]{new CpuBackend(1), new CpuBackend(2), new CpuBackend(4)};
    }

    @AfterAll
    static void stop() {
        for (CpuBackend be : backends) be.close();
    }

    /** A workspace of exactly the advertised size, full of NaN so no op may assume it starts zeroed. */
    static Tensor workspace(CpuBackend be, ConvGeometry g) {
        float[] junk = new float[(int) Math.max(1, be.convWorkspaceWords(g))];
        java.util.Arrays.fill(junk, Float.NaN);
        return tensor(be, junk, junk.length);
    }

    @Test
    void allThreePassesMatchNaiveLoops() {
        assertAllPassesMatchNaiveLoops(GEOMETRIES, 11);
    }

    private static void assertAllPassesMatchNaiveLoops(ConvGeometry[] geometries, long seed) {
        for (CpuBackend be : backends) {
            for (ConvGeometry g : geometries) {
                Random r = new Random(seed++);
                float[] x = random(r, (int) g.inputSize()), w = random(r, (int) g.filterSize()), dy = random(r, (int) g.outputSize());
                Outputs out = run(be, g, x, w, dy);
                double fanIn = g.c() * g.r() * g.s(), tol = 1e-4 * Math.sqrt(Math.max(fanIn, g.k()) * 4);
                String what = g + " on " + be.threads() + " threads";
                assertClose(ConvReference.forward(g, x, w), out.y, 1e-4, tol, "forward " + what);
                assertClose(ConvReference.backwardData(g, dy, w), out.dx, 1e-4, tol, "backward data " + what);
                double filterTol = 1e-4 * Math.sqrt((double) g.n() * g.outH() * g.outW() * 4);
                assertClose(ConvReference.backwardFilter(g, x, dy), out.dw, 1e-4, filterTol, "backward filter " + what);
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
        for (ConvGeometry g : new ConvGeometry[]{GEOMETRIES[1], GEOMETRIES[4], GEOMETRIES[2], GEOMETRIES[5]}) {
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

    /**
     * The implicit path keeps its scratch to itself: no workspace at any batch size, so a
     * network of implicit layers reserves no column matrices. The im2col path (every layer on
     * a machine without 16 float lanes) reserves its per-worker columns and partial filter
     * gradients, never more for a smaller last batch.
     */
    @Test
    void workspaceCoversPerWorkerColumnsAndPartialFilterGradients() {
        ConvGeometry g = new ConvGeometry(8, 3, 10, 10, 4, 3, 3, 1, 1, 1, 1);
        for (CpuBackend be : backends) {
            for (ConvGeometry implicit : new ConvGeometry[]{g, STRIDED[0], STRIDED[1]}) {
                for (int batch = 1; batch <= implicit.n(); batch++) {
                    assertEquals(0, be.convWorkspaceWords(implicit.withBatch(batch)), implicit + " batch " + batch);
                }
            }
        }
        long col = 3L * 3 * 3 * 10 * 10, filter = g.filterSize();
        CpuConvolution[] im2col = new CpuConvolution[backends.length];
        for (int b = 0; b < backends.length; b++) im2col[b] = im2colOnly(backends[b]);
        assertEquals(col, im2col[0].workspaceWords(g));
        assertEquals(2 * col + filter, im2col[1].workspaceWords(g));
        assertEquals(4 * col + 3 * filter, im2col[2].workspaceWords(g));
        // A batch smaller than the pool runs one sample at a time: one column matrix.
        assertEquals(col, im2col[2].workspaceWords(g.withBatch(3)));
        // So a workspace sized for the full batch also serves any smaller last batch.
        for (CpuConvolution conv : im2col) {
            for (int batch = 1; batch < g.n(); batch++) {
                assertTrue(conv.workspaceWords(g.withBatch(batch)) <= conv.workspaceWords(g), "batch " + batch);
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
        ConvGeometry g = GEOMETRIES[2]; // pointwise on 2 threads: one partial filter gradient
        Tensor x = zeros(be, (int) g.inputSize()), w = zeros(be, (int) g.filterSize()), y = zeros(be, (int) g.outputSize());
        Tensor small = zeros(be, (int) be.convWorkspaceWords(g) - 1);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> be.convForward(g, x, w, y, small));
        assertTrue(e.getMessage().contains("convWorkspaceWords"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> be.convForward(g, x, w, y, null));
        Tensor shortY = zeros(be, (int) g.outputSize() - 1);
        e = assertThrows(IllegalArgumentException.class, () -> be.convForward(g, x, w, shortY, workspace(be, g)));
        assertTrue(e.getMessage().contains("conv output y"), e.getMessage());
    }

    @Test
    void theGeometriesTakeTheImplicitPath() {
        for (CpuBackend be : backends) {
            CpuConvolution conv = new CpuConvolution(be.parallel(), new CpuGemm(be.parallel()));
            for (ConvGeometry[] set : new ConvGeometry[][]{IMPLICIT, STRIDED}) {
                for (ConvGeometry g : set) {
                    assertTrue(conv.usesImplicit(g), g + " on " + be.threads() + " threads");
                    // A batch smaller than the pool too: the same path, so the same (empty) workspace.
                    assertTrue(conv.usesImplicit(g.withBatch(1)), g + " with one sample");
                }
            }
            // Pointwise convolutions read x directly (stride 1) or a subsampled copy (ResNet's strided
            // projections: faster than one phase of depth C); stride-1 padding of the filter size has no stride-1 backward data.
            assertFalse(conv.usesImplicit(GEOMETRIES[2]));
            assertFalse(conv.usesImplicit(GEOMETRIES[3]));
            assertFalse(conv.usesImplicit(new ConvGeometry(2, 3, 6, 6, 4, 3, 3, 1, 1, 3, 3)));
            assertFalse(im2colOnly(be).usesImplicit(IMPLICIT[0]));
        }
        // Backward data leaves out the taps that read only padding where dy is padded by 2 or more (LeNet-5's conv2).
        assertTrue(CpuImplicitConvolution.restrictsTaps(IMPLICIT[3]));
        assertTrue(CpuImplicitConvolution.restrictsTaps(IMPLICIT[11]));
        assertTrue(CpuImplicitConvolution.restrictsTaps(IMPLICIT[12]));
        assertFalse(CpuImplicitConvolution.restrictsTaps(IMPLICIT[0]));
        assertFalse(CpuImplicitConvolution.restrictsTaps(IMPLICIT[4])); // 7x9 output: grouped
        // The filter gradient's 16-filter tile: up to 16 filters, not 17.
        assertTrue(CpuImplicitConvolution.narrowFilterTile(IMPLICIT[9]));
        assertFalse(CpuImplicitConvolution.narrowFilterTile(IMPLICIT[10]));
    }

    @Test
    void theImplicitPathMatchesNaiveLoops() {
        assertAllPassesMatchNaiveLoops(IMPLICIT, 101);
    }

    @Test
    void stridedConvolutionsThroughTheirPhasesMatchNaiveLoops() {
        assertAllPassesMatchNaiveLoops(STRIDED, 201);
    }

    /**
     * The im2col + GEMM path, which every convolution takes on a vector unit narrower than
     * 16 floats, on native segments against the naive loops, with a NaN-filled workspace of
     * exactly the advertised size.
     */
    @Test
    void theIm2colPathMatchesNaiveLoops() {
        long seed = 301;
        for (CpuBackend be : backends) {
            CpuConvolution conv = im2colOnly(be);
            for (ConvGeometry[] set : new ConvGeometry[][]{GEOMETRIES, {IMPLICIT[0], STRIDED[1], STRIDED[3]}}) {
                for (ConvGeometry g : set) {
                    Random r = new Random(seed++);
                    float[] x = random(r, (int) g.inputSize()), w = random(r, (int) g.filterSize()), dy = random(r, (int) g.outputSize());
                    try (Arena arena = Arena.ofShared()) { // the pool's workers read and write them
                        MemorySegment sx = native_(arena, x), sw = native_(arena, w), sdy = native_(arena, dy);
                        MemorySegment y = native_(arena, nans((int) g.outputSize())), dx = native_(arena, nans((int) g.inputSize()));
                        MemorySegment dw = native_(arena, nans((int) g.filterSize()));
                        MemorySegment ws = native_(arena, nans((int) Math.max(1, conv.workspaceWords(g))));
                        conv.forward(g, sx, sw, y, ws);
                        conv.backwardData(g, sdy, sw, dx, ws);
                        conv.backwardFilter(g, sx, sdy, dw, ws);
                        double tol = 1e-4 * Math.sqrt(Math.max(g.c() * g.r() * g.s(), g.k()) * 4);
                        String what = g + " on " + be.threads() + " threads, im2col";
                        assertClose(ConvReference.forward(g, x, w), floats(y), 1e-4, tol, "forward " + what);
                        assertClose(ConvReference.backwardData(g, dy, w), floats(dx), 1e-4, tol, "backward data " + what);
                        double filterTol = 1e-4 * Math.sqrt((double) g.n() * g.outH() * g.outW() * 4);
                        assertClose(ConvReference.backwardFilter(g, x, dy), floats(dw), 1e-4, filterTol, "backward filter " + what);
                    }
                }
            }
        }
    }

    private static CpuConvolution im2colOnly(CpuBackend be) {
        return new CpuConvolution(be.parallel(), new CpuGemm(be.parallel()), false);
    }

    private static MemorySegment native_(Arena arena, float[] values) {
        MemorySegment s = arena.allocate((long) values.length * Float.BYTES, 64);
        MemorySegment.copy(values, 0, s, ValueLayout.JAVA_FLOAT, 0, values.length);
        return s;
    }

    private static float[] floats(MemorySegment s) {
        return s.toArray(ValueLayout.JAVA_FLOAT);
    }

    /** Forward and backward data sum every sample alone, in a fixed order: the same bits on 1, 2 and 4 threads. */
    @Test
    void implicitForwardAndBackwardDataDoNotDependOnTheThreadCount() {
        ConvGeometry[] all = Arrays.copyOf(IMPLICIT, IMPLICIT.length + STRIDED.length);
        System.arraycopy(STRIDED, 0, all, IMPLICIT.length, STRIDED.length);
        for (ConvGeometry g : all) {
            Random r = new Random(7);
            float[] x = random(r, (int) g.inputSize()), w = random(r, (int) g.filterSize()), dy = random(r, (int) g.outputSize());
            Outputs one = run(backends[0], g, x, w, dy);
            for (int b = 1; b < backends.length; b++) {
                Outputs other = run(backends[b], g, x, w, dy);
                String what = g + " on " + backends[b].threads() + " threads against 1";
                assertSameBits(one.y, other.y, "forward " + what);
                assertSameBits(one.dx, other.dx, "backward data " + what);
            }
        }
    }

    @Test
    void theImplicitFilterGradientIsBitwiseReproducible() {
        ConvGeometry g = new ConvGeometry(37, 3, 16, 16, 20, 3, 3, 1, 1, 1, 1);
        for (CpuBackend be : backends) {
            Random r = new Random(5);
            float[] x = random(r, (int) g.inputSize()), dy = random(r, (int) g.outputSize());
            float[] first = run(be, g, x, random(r, (int) g.filterSize()), dy).dw;
            for (int call = 1; call < 10; call++) {
                assertSameBits(first, run(be, g, x, random(r, (int) g.filterSize()), dy).dw,
                        "dw on call " + call + " with " + be.threads() + " threads");
            }
        }
    }

    private record Outputs(float[] y, float[] dx, float[] dw) {
    }

    /** The three passes on fresh tensors that start as NaN, so every output element must be written. */
    private static Outputs run(CpuBackend be, ConvGeometry g, float[] x, float[] w, float[] dy) {
        Tensor tx = tensor(be, x, g.n(), g.c(), g.h(), g.w()), tw = tensor(be, w, g.k(), g.c(), g.r(), g.s());
        Tensor tdy = tensor(be, dy, g.n(), g.k(), g.outH(), g.outW());
        Tensor ty = tensor(be, nans((int) g.outputSize()), g.n(), g.k(), g.outH(), g.outW());
        Tensor tdx = tensor(be, nans((int) g.inputSize()), g.n(), g.c(), g.h(), g.w());
        Tensor tdw = tensor(be, nans((int) g.filterSize()), g.k(), g.c(), g.r(), g.s());
        Tensor ws = workspace(be, g);
        be.convForward(g, tx, tw, ty, ws);
        be.convBackwardData(g, tdy, tw, tdx, ws);
        be.convBackwardFilter(g, tx, tdy, tdw, ws);
        return new Outputs(read(be, ty), read(be, tdx), read(be, tdw));
    }

}
