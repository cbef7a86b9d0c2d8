package io.sparsestep.backend.cpu;

import io.sparsestep.backend.ConvGeometry;
import io.sparsestep.backend.Tensor;
import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static io.sparsestep.backend.cpu.CpuTestSupport.*;
import static io.sparsestep.testing.Bits.assertSameBits;
import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The implicit path's filter gradient with the output positions on the vector lanes (up to
 * 32 filters on maps whose output width is a multiple of the vector length): awkward filter
 * and channel counts, maps from 1x1 to 33x33 (the lane path and its neighbours on the other
 * tiles), stride-2 phases and paddings 0 to 2 against the naive double loop within
 * 1e-4 relative + 1e-4 sqrt(4 N P) absolute (the tolerance of {@link CpuConvolutionTest});
 * bit for bit against a scalar model of the summation order it documents, on 1, 2 and 3
 * threads; and the same bits on every call and every backend of a thread count.
 */
class CpuFilterGradientOnLanesTest {
    private static final int V = FloatVector.SPECIES_PREFERRED.length();
    private static CpuBackend[] backends;

    /** Geometries of the lane path: K and C awkward, outW 16 or 32, stride 1 and 2, padding 0..2. */
    private static final ConvGeometry[] LANES = {
            new ConvGeometry(3, 1, 16, 16, 1, 3, 3, 1, 1, 1, 1),      // one filter, one channel: 9 taps in two 6-tap tiles
            new ConvGeometry(2, 20, 18, 18, 7, 3, 3, 1, 1, 0, 0),     // unpadded 18 -> 16, 180 taps, 7 filters (a partial quad)
            new ConvGeometry(5, 3, 32, 32, 16, 3, 3, 1, 1, 1, 1),     // ResNet's stem
            new ConvGeometry(3, 16, 32, 32, 16, 3, 3, 1, 1, 1, 1),    // ResNet's first stage
            new ConvGeometry(4, 5, 31, 31, 13, 3, 3, 2, 2, 1, 1),     // stride 2 on an odd map: 31 -> 16, 13 filters
            new ConvGeometry(3, 16, 32, 32, 32, 3, 3, 2, 2, 1, 1),    // ResNet's 16 -> 32 stride-2 layer (phases)
            new ConvGeometry(6, 32, 16, 16, 32, 3, 3, 1, 1, 1, 1),    // ResNet's second stage: 4 samples a pass, 6 = 4 + 2
            new ConvGeometry(3, 2, 20, 16, 31, 5, 5, 1, 1, 2, 2),     // 5x5 padding 2: 20 x 16, 31 filters
            new ConvGeometry(5, 3, 12, 31, 17, 2, 2, 1, 1, 1, 1),     // even 2x2 filter, padding 1: 13 x 32, 17 filters
            new ConvGeometry(2, 4, 9, 32, 5, 3, 1, 1, 1, 1, 0),       // 3x1 filter, padding only along h: 9 x 32
            new ConvGeometry(7, 3, 34, 34, 3, 3, 3, 2, 2, 0, 0),      // stride 2 unpadded 34 -> 16
            new ConvGeometry(3, 2, 32, 32, 9, 5, 5, 2, 2, 2, 2),      // 5x5 stride 2 padding 2: 32 -> 16
            new ConvGeometry(1, 6, 16, 16, 32, 3, 3, 1, 1, 1, 1),     // one sample on 3 threads: one block
            new ConvGeometry(9, 2, 8, 16, 2, 3, 3, 1, 1, 1, 1),       // 8 x 16 = 128 positions: 8 samples a pass, 9 = 8 + 1
    };

    /** Neighbours of the lane path that take the other tiles: 33 filters, outW not a multiple of V, grouped maps. */
    private static final ConvGeometry[] NEIGHBOURS = {
            new ConvGeometry(3, 3, 16, 16, 33, 3, 3, 1, 1, 1, 1),     // 33 filters
            new ConvGeometry(3, 4, 17, 17, 16, 3, 3, 1, 1, 1, 1),     // outW 17
            new ConvGeometry(5, 3, 33, 33, 20, 3, 3, 1, 1, 1, 1),     // 33 x 33 map
            new ConvGeometry(4, 2, 3, 16, 8, 3, 3, 1, 1, 1, 1),       // 3 x 16 = 48 positions: grouped
            new ConvGeometry(20, 5, 1, 1, 3, 3, 3, 1, 1, 1, 1),       // 1x1 map, padding 1
            new ConvGeometry(4, 3, 8, 8, 16, 3, 3, 1, 1, 1, 1),       // 8x8: wide
    };

    @BeforeAll
    static void start() {
        backends = new CpuBackend[]{new CpuBackend(1), new CpuBackend(2), new CpuBackend(3)};
    }

    @AfterAll
    static void stop() {
        for (CpuBackend be : backends) be.close();
    }

    @Test
    void theLanePathTakesNaturalMapsOfUpTo32Filters() {
        assumeTrue(V == 16, "the geometries are chosen for 16 lanes");
        for (ConvGeometry g : LANES) {
            assertTrue(CpuImplicitConvolution.applies(g), g + " is implicit");
            assertTrue(CpuImplicitConvolution.filterOnLanes(g), g + " is on the lanes");
        }
        for (ConvGeometry g : NEIGHBOURS) assertFalse(CpuImplicitConvolution.filterOnLanes(g), g.toString());
        // ResNet-20's 16- and 32-filter layers at 32x32 and 16x16; not its 64-filter 8x8 ones.
        assertTrue(CpuImplicitConvolution.filterOnLanes(new ConvGeometry(128, 16, 32, 32, 16, 3, 3, 1, 1, 1, 1)));
        assertTrue(CpuImplicitConvolution.filterOnLanes(new ConvGeometry(128, 16, 32, 32, 32, 3, 3, 2, 2, 1, 1)));
        assertTrue(CpuImplicitConvolution.filterOnLanes(new ConvGeometry(128, 32, 16, 16, 32, 3, 3, 1, 1, 1, 1)));
        assertFalse(CpuImplicitConvolution.filterOnLanes(new ConvGeometry(128, 64, 8, 8, 64, 3, 3, 1, 1, 1, 1)));
    }

    @Test
    void matchesTheDoublePrecisionLoop() {
        long seed = 1;
        for (CpuBackend be : backends) {
            for (ConvGeometry[] set : new ConvGeometry[][]{LANES, NEIGHBOURS}) {
                for (ConvGeometry g : set) {
                    Random r = new Random(seed++);
                    float[] x = random(r, (int) g.inputSize()), dy = random(r, (int) g.outputSize());
                    double tol = 1e-4 * Math.sqrt((double) g.n() * g.outH() * g.outW() * 4);
                    assertClose(ConvReference.backwardFilter(g, x, dy), filterGradient(be, g, x, dy), 1e-4, tol,
                            "dw " + g + " on " + be.threads() + " threads");
                }
            }
        }
    }

    /**
     * Bit for bit the documented order: lane l of (k, tap) sums, by fused multiply-adds from
     * +0, the positions l, l + V, ... of each output row, rows in order, the block's samples
     * in order; the element is lane 0 + ... + lane V-1 of block 0, plus the same of block 1, ...
     * with block b holding samples [n b / B, n (b + 1) / B) of B = min(threads, n) blocks.
     */
    @Test
    void sumsInTheDocumentedOrder() {
        assumeTrue(V >= 16, "the implicit path needs 16 lanes");
        long seed = 100;
        for (CpuBackend be : backends) {
            for (ConvGeometry g : LANES) {
                Random r = new Random(seed++);
                float[] x = random(r, (int) g.inputSize()), dy = random(r, (int) g.outputSize());
                assertSameBits(model(g, x, dy, be.threads()), filterGradient(be, g, x, dy),
                        "dw " + g + " on " + be.threads() + " threads against the scalar model");
            }
        }
    }

    @Test
    void theSameBitsOnEveryCallAndEveryBackendOfAThreadCount() {
        ConvGeometry g = LANES[6], other = LANES[2];
        Random r = new Random(9);
        float[] x = random(r, (int) g.inputSize()), dy = random(r, (int) g.outputSize());
        float[] ox = random(r, (int) other.inputSize()), ody = random(r, (int) other.outputSize());
        for (CpuBackend be : backends) {
            float[] first = filterGradient(be, g, x, dy);
            try (CpuBackend twin = new CpuBackend(be.threads())) {
                for (int call = 0; call < 5; call++) {
                    filterGradient(be, other, ox, ody); // another geometry in between: scratch and partials reused
                    assertSameBits(first, filterGradient(be, g, x, dy), "call " + call + " on " + be.threads() + " threads");
                    assertSameBits(first, filterGradient(twin, g, x, dy), "another backend of " + be.threads() + " threads");
                }
            }
        }
    }

    /** dw from a NaN-filled tensor, so every element must be written. */
    private static float[] filterGradient(CpuBackend be, ConvGeometry g, float[] x, float[] dy) {
        Tensor tx = tensor(be, x, g.n(), g.c(), g.h(), g.w());
        Tensor tdy = tensor(be, dy, g.n(), g.k(), g.outH(), g.outW());
        Tensor tdw = tensor(be, nans(g.filterSize()), g.k(), g.c(), g.r(), g.s());
        be.convBackwardFilter(g, tx, tdy, tdw, CpuConvolutionTest.workspace(be, g));
        return read(be, tdw);
    }

    /** The scalar model of {@link #sumsInTheDocumentedOrder}, reading x with zero padding. */
    private static float[] model(ConvGeometry g, float[] x, float[] dy, int threads) {
        int n = g.n(), blocks = Math.min(threads, n), oh = g.outH(), ow = g.outW();
        float[] dw = new float[(int) g.filterSize()];
        float[] lanes = new float[V];
        for (int k = 0; k < g.k(); k++) {
            for (int c = 0; c < g.c(); c++) {
                for (int fr = 0; fr < g.r(); fr++) {
                    for (int fs = 0; fs < g.s(); fs++) {
                        float sum = 0f;
                        for (int b = 0; b < blocks; b++) {
                            java.util.Arrays.fill(lanes, 0f);
                            for (int i = n * b / blocks; i < n * (b + 1) / blocks; i++) {
                                for (int y = 0; y < oh; y++) {
                                    for (int xo = 0; xo < ow; xo++) {
                                        int ih = y * g.strideH() - g.padH() + fr, iw = xo * g.strideW() - g.padW() + fs;
                                        boolean inside = ih >= 0 && ih < g.h() && iw >= 0 && iw < g.w();
                                        float xv = inside ? x[((i * g.c() + c) * g.h() + ih) * g.w() + iw] : 0f;
                                        float d = dy[((i * g.k() + k) * oh + y) * ow + xo];
                                        lanes[xo % V] = Math.fma(xv, d, lanes[xo % V]);
                                    }
                                }
                            }
                            float part = lanes[0];
                            for (int l = 1; l < V; l++) part += lanes[l];
                            sum = b == 0 ? part : sum + part;
                        }
                        dw[((k * g.c() + c) * g.r() + fr) * g.s() + fs] = sum;
                    }
                }
            }
        }
        return dw;
    }
}
