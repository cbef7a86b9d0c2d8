package io.sparsestep.backend.cpu;

import io.sparsestep.backend.ConvGeometry;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.util.Random;

import static io.sparsestep.backend.cpu.CpuTestSupport.assertClose;
import static io.sparsestep.backend.cpu.CpuTestSupport.nans;
import static io.sparsestep.backend.cpu.CpuTestSupport.random;
import static io.sparsestep.testing.Bits.assertSameBits;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link CpuWinogradConvolution}'s three passes, called directly (so shapes the dispatch
 * rule leaves to the implicit path are covered too), against naive double loops.
 *
 * <p>Tolerances: the same as {@link CpuConvolutionTest}'s (relative 1e-4 plus absolute
 * 1e-4 * sqrt(4 * fan-in), fan-in 9C forward, 9K backward data, N * outH * outW for the
 * filter). F(2x2, 3x3) is often said to be less exact than direct summation, since each
 * product passes through two transforms (rows of up to three inputs, coefficients 1 and
 * 1/2); on these shapes it was not measurably worse: the largest |error| / sqrt(terms) was
 * 0.8-3.2e-6 against 1.6-6.5e-6 for the implicit path on the same inputs (it adds 16
 * products per tile position where direct summation adds 36). That leaves the bounds some
 * 60 times above the error seen, and the planted wrong transform coefficient
 * (native-build/mutants/conv-winograd-filter-transform.patch) misses them by far.
 */
class CpuWinogradConvolutionTest {
    private static Parallel[] pools;

    /**
     * Odd output sizes (half-empty last tiles), channel and filter counts that fill neither
     * a register strip (8) nor a vector (16), batches below, equal to and not a multiple of
     * the thread counts, unpadded and padding-2 inputs, and maps of 4x4 and 2x2 (samples
     * grouped per task) and 1x1.
     */
    private static final ConvGeometry[] SHAPES = {
            new ConvGeometry(3, 3, 5, 7, 5, 3, 3, 1, 1, 1, 1),       // odd 5x7 output, C 3, K 5
            new ConvGeometry(5, 13, 9, 9, 37, 3, 3, 1, 1, 1, 1),     // 9x9: odd tiles both ways; K 37 = two strips and 5 rows
            new ConvGeometry(1, 17, 8, 8, 9, 3, 3, 1, 1, 1, 1),      // a single sample for up to 4 workers
            new ConvGeometry(6, 4, 7, 6, 6, 3, 3, 1, 1, 0, 0),       // unpadded: 5x4 output
            new ConvGeometry(4, 5, 6, 5, 7, 3, 3, 1, 1, 2, 2),       // padding 2: output larger than the input
            new ConvGeometry(3, 6, 12, 40, 3, 3, 3, 1, 1, 1, 0),     // padding along h only; 19 tiles per row: two vectors
            new ConvGeometry(37, 6, 4, 4, 10, 3, 3, 1, 1, 1, 1),     // 4x4 maps: groups of samples, a short last group
            new ConvGeometry(70, 20, 2, 2, 19, 3, 3, 1, 1, 1, 1),    // 2x2 maps: one tile per sample
            new ConvGeometry(9, 8, 1, 1, 16, 3, 3, 1, 1, 1, 1),      // 1x1 maps with padding 1
            new ConvGeometry(7, 33, 16, 16, 40, 3, 3, 1, 1, 1, 1),   // the column strips of a 16x16 map
    };

    @BeforeAll
    static void start() {
        pools = new Parallel[]{new Parallel(1), new Parallel(2), new Parallel(4)};
    }

    @AfterAll
    static void stop() {
        for (Parallel p : pools) p.close();
    }

    private record Outputs(float[] y, float[] dx, float[] dw) {
    }

    /** The three passes into NaN-filled outputs, so every element must be written. */
    private static Outputs run(CpuWinogradConvolution conv, ConvGeometry g, float[] x, float[] w, float[] dy) {
        float[] y = nans(g.outputSize()), dx = nans(g.inputSize()), dw = nans(g.filterSize());
        conv.forward(g, MemorySegment.ofArray(x), MemorySegment.ofArray(w), MemorySegment.ofArray(y));
        conv.backwardData(g, MemorySegment.ofArray(dy), MemorySegment.ofArray(w), MemorySegment.ofArray(dx));
        conv.backwardFilter(g, MemorySegment.ofArray(x), MemorySegment.ofArray(dy), MemorySegment.ofArray(dw));
        return new Outputs(y, dx, dw);
    }


    @Test
    void allThreePassesMatchNaiveLoops() {
        long seed = 31;
        for (Parallel pool : pools) {
            // One instance for every shape: its scratch grows and is reused across shapes.
            CpuWinogradConvolution conv = new CpuWinogradConvolution(pool);
            for (ConvGeometry g : SHAPES) {
                assertTrue(CpuWinogradConvolution.applies(g), g.toString());
                Random r = new Random(seed++);
                float[] x = random(r, (int) g.inputSize()), w = random(r, (int) g.filterSize()), dy = random(r, (int) g.outputSize());
                Outputs out = run(conv, g, x, w, dy);
                String what = g + " on " + pool.threads() + " threads";
                double fanIn = 9.0 * g.c(), tol = 1e-4 * Math.sqrt(4 * Math.max(fanIn, 9.0 * g.k()));
                assertClose(ConvReference.forward(g, x, w), out.y, 1e-4, tol, "forward " + what);
                assertClose(ConvReference.backwardData(g, dy, w), out.dx, 1e-4, tol, "backward data " + what);
                double filterTol = 1e-4 * Math.sqrt(4.0 * g.n() * g.outH() * g.outW());
                assertClose(ConvReference.backwardFilter(g, x, dy), out.dw, 1e-4, filterTol, "backward filter " + what);
            }
        }
    }

    /** Forward and backward data compute every tile alone, in a fixed order: the same bits on 1, 2 and 4 threads. */
    @Test
    void forwardAndBackwardDataDoNotDependOnTheThreadCount() {
        for (ConvGeometry g : SHAPES) {
            Random r = new Random(7);
            float[] x = random(r, (int) g.inputSize()), w = random(r, (int) g.filterSize()), dy = random(r, (int) g.outputSize());
            Outputs one = run(new CpuWinogradConvolution(pools[0]), g, x, w, dy);
            for (int p = 1; p < pools.length; p++) {
                Outputs other = run(new CpuWinogradConvolution(pools[p]), g, x, w, dy);
                String what = g + " on " + pools[p].threads() + " threads against 1";
                assertSameBits(one.y, other.y, "forward " + what);
                assertSameBits(one.dx, other.dx, "backward data " + what);
            }
        }
    }

    /** The filter gradient's fixed sample blocks: the same bits on every call for a thread count. */
    @Test
    void theFilterGradientIsBitwiseReproducible() {
        ConvGeometry g = new ConvGeometry(37, 11, 10, 10, 20, 3, 3, 1, 1, 1, 1);
        for (Parallel pool : pools) {
            CpuWinogradConvolution conv = new CpuWinogradConvolution(pool);
            Random r = new Random(5);
            MemorySegment x = MemorySegment.ofArray(random(r, (int) g.inputSize())), dy = MemorySegment.ofArray(random(r, (int) g.outputSize()));
            float[] first = nans(g.filterSize());
            conv.backwardFilter(g, x, dy, MemorySegment.ofArray(first));
            for (int call = 1; call < 10; call++) {
                float[] again = nans(g.filterSize());
                conv.backwardFilter(g, x, dy, MemorySegment.ofArray(again));
                assertSameBits(first, again, "dw on call " + call + " with " + pool.threads() + " threads");
            }
        }
    }

    /**
     * Counts on either side of the blocks the vectorised bookkeeping works in: filters one
     * past and one short of the 16-filter blocks of the filter transform and of the
     * gradient's partial sum (K 17, 15, 33), channels one short of a register strip (31),
     * and groups of 9, 18, 20 and 40 tiles around the 16-tile blocks of the filter gradient's
     * operand transposes, on 3 threads (sample blocks of unequal sizes). Every pass against
     * the naive loops, forward and backward data bit for bit against 1 thread, and the
     * filter gradient bit for bit on a second call.
     */
    @Test
    void awkwardCountsMatchNaiveLoopsOnThreeThreads() {
        ConvGeometry[] shapes = {
                new ConvGeometry(5, 9, 6, 6, 17, 3, 3, 1, 1, 1, 1),    // 9 tiles a sample, blocks of 1-2 samples
                new ConvGeometry(4, 16, 7, 9, 15, 3, 3, 1, 1, 1, 1),   // 20 tiles a sample: a 16-tile block and a tail
                new ConvGeometry(7, 31, 2, 2, 33, 3, 3, 1, 1, 1, 1),   // one tile a sample: tails only
                new ConvGeometry(3, 1, 3, 3, 1, 3, 3, 1, 1, 1, 1),     // one channel, one filter
        };
        try (Parallel three = new Parallel(3)) {
            CpuWinogradConvolution conv = new CpuWinogradConvolution(three), single = new CpuWinogradConvolution(pools[0]);
            Random r = new Random(77);
            for (ConvGeometry g : shapes) {
                float[] x = random(r, (int) g.inputSize()), w = random(r, (int) g.filterSize()), dy = random(r, (int) g.outputSize());
                Outputs out = run(conv, g, x, w, dy), again = run(conv, g, x, w, dy), one = run(single, g, x, w, dy);
                double tol = 1e-4 * Math.sqrt(4 * 9.0 * Math.max(g.c(), g.k()));
                assertClose(ConvReference.forward(g, x, w), out.y, 1e-4, tol, "forward " + g);
                assertClose(ConvReference.backwardData(g, dy, w), out.dx, 1e-4, tol, "backward data " + g);
                assertClose(ConvReference.backwardFilter(g, x, dy), out.dw, 1e-4, 1e-4 * Math.sqrt(4.0 * g.n() * g.outH() * g.outW()),
                        "backward filter " + g);
                assertSameBits(one.y, out.y, "forward of " + g + " on 3 threads against 1");
                assertSameBits(one.dx, out.dx, "backward data of " + g + " on 3 threads against 1");
                assertSameBits(out.dw, again.dw, "dw of " + g + " on a second call");
            }
        }
    }

    /** L(x, w) = sum(conv(x, w) * R) in double; its gradients are backwardData(R) and backwardFilter(x, R). */
    private static double objective(CpuWinogradConvolution conv, ConvGeometry g, float[] x, float[] w, float[] weights) {
        float[] y = new float[(int) g.outputSize()];
        conv.forward(g, MemorySegment.ofArray(x), MemorySegment.ofArray(w), MemorySegment.ofArray(y));
        double sum = 0;
        for (int i = 0; i < y.length; i++) sum += (double) y[i] * weights[i];
        return sum;
    }

    @Test
    void gradientsMatchFiniteDifferencesOfTheForwardPass() {
        CpuWinogradConvolution conv = new CpuWinogradConvolution(pools[1]);
        Random r = new Random(9);
        for (ConvGeometry g : new ConvGeometry[]{SHAPES[0], SHAPES[4], SHAPES[6]}) {
            float[] x = random(r, (int) g.inputSize()), w = random(r, (int) g.filterSize()), rw = random(r, (int) g.outputSize());
            Outputs grads = run(conv, g, x, w, rw);
            float h = 1e-2f;
            for (int trial = 0; trial < 12; trial++) {
                int i = r.nextInt(x.length);
                float[] xp = x.clone(), xm = x.clone();
                xp[i] += h;
                xm[i] -= h;
                double fd = (objective(conv, g, xp, w, rw) - objective(conv, g, xm, w, rw)) / (xp[i] - xm[i]);
                assertClose(fd, grads.dx[i], 1e-3, 2e-3, "d/dx[" + i + "] of " + g);
            }
            for (int trial = 0; trial < 12; trial++) {
                int i = r.nextInt(w.length);
                float[] wp = w.clone(), wm = w.clone();
                wp[i] += h;
                wm[i] -= h;
                double fd = (objective(conv, g, x, wp, rw) - objective(conv, g, x, wm, rw)) / (wp[i] - wm[i]);
                assertClose(fd, grads.dw[i], 1e-3, 2e-3, "d/dw[" + i + "] of " + g);
            }
        }
    }

    /** A layer, and whether the rule sends its forward, backward-data and filter-gradient pass to F(2x2, 3x3). */
    private record Dispatch(ConvGeometry layer, boolean forward, boolean backwardData, boolean backwardFilter) {
        Dispatch(int c, int size, int k, boolean forward, boolean backwardData, boolean backwardFilter) {
            this(new ConvGeometry(128, c, size, size, k, 3, 3, 1, 1, 1, 1), forward, backwardData, backwardFilter);
        }
    }

    /**
     * Every 3x3 layer of VGG-16 and ResNet-20 at batch 128 (as the per-layer benchmark
     * measured them), and what F(2x2, 3x3) does not cover: stride 2, 5x5, 1x1.
     */
    private static final Dispatch[] LAYERS = {
            new Dispatch(3, 32, 64, false, false, false),      // VGG-16 conv1: 3 channels in
            new Dispatch(64, 32, 64, true, false, true),
            new Dispatch(64, 16, 128, true, false, true),
            new Dispatch(128, 16, 128, true, false, true),
            new Dispatch(128, 8, 256, true, true, true),
            new Dispatch(256, 8, 256, true, true, true),
            new Dispatch(256, 4, 512, true, true, true),
            new Dispatch(512, 4, 512, true, true, true),
            new Dispatch(512, 2, 512, true, true, true),
            new Dispatch(16, 32, 16, false, false, false),     // ResNet-20's three stages
            new Dispatch(32, 16, 32, false, false, false),
            new Dispatch(64, 8, 64, false, false, false),
            new Dispatch(new ConvGeometry(128, 256, 8, 8, 256, 3, 3, 2, 2, 1, 1), false, false, false),
            new Dispatch(new ConvGeometry(128, 256, 8, 8, 256, 5, 5, 1, 1, 2, 2), false, false, false),
            new Dispatch(new ConvGeometry(128, 256, 8, 8, 256, 1, 1, 1, 1, 0, 0), false, false, false),
    };

    /** The passes the dispatch rule sends to F(2x2, 3x3), on every thread count. */
    @Test
    void theDispatchTakesWinogradWhereItWasMeasuredFaster() {
        for (Parallel pool : pools) {
            CpuConvolution conv = new CpuConvolution(pool, new CpuGemm(pool));
            for (Dispatch d : LAYERS) {
                String what = d.layer() + " on " + pool.threads() + " threads";
                assertEquals(d.forward(), conv.usesWinograd(d.layer(), CpuWinogradConvolution.Pass.FORWARD), "forward of " + what);
                assertEquals(d.backwardData(), conv.usesWinograd(d.layer(), CpuWinogradConvolution.Pass.BACKWARD_DATA),
                        "backward data of " + what);
                assertEquals(d.backwardFilter(), conv.usesWinograd(d.layer(), CpuWinogradConvolution.Pass.BACKWARD_FILTER),
                        "filter gradient of " + what);
            }
        }
    }
}
