package io.sparsestep.backend.cpu;

import io.sparsestep.backend.Tensor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;

import static io.sparsestep.backend.cpu.CpuTestSupport.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * The fused optimizer steps. SGD is compared bitwise with a hand-unrolled float32
 * reference of PyTorch's update over several steps; gRDA against a float64 reference of
 * the same arithmetic (rounded to float where the kernel stores), bitwise identity with
 * the accumulator at tau = 0, and the exact reproduction of momentum-free SGD at c = 0.
 */
class CpuFusedStepsTest {
    private static CpuBackend be;
    /** Past one parallel chunk and not a multiple of a vector, so every code path runs. */
    private static final int[] SIZES = {1, 7, 33, 70_001};

    @BeforeAll
    static void start() {
        be = new CpuBackend(2);
    }

    @AfterAll
    static void stop() {
        be.close();
    }

    /** PyTorch's torch.optim.SGD step for one parameter, written out in float32. */
    private static void referenceSgd(float[] w, float[] g, float[] buf, float lr, float momentum, float dampening,
                                     float wd, boolean nesterov, boolean first) {
        for (int i = 0; i < w.length; i++) {
            float d = g[i];
            if (wd != 0) d = d + wd * w[i];
            if (momentum != 0) {
                if (first) buf[i] = d;
                else buf[i] = momentum * buf[i] + (1 - dampening) * d;
                if (nesterov) d = d + momentum * buf[i];
                else d = buf[i];
            }
            w[i] = w[i] - lr * d;
        }
    }

    @Test
    void sgdMatchesPyTorchsUpdateBitwiseOverSeveralSteps() {
        Random r = new Random(1);
        float[][] configs = { // momentum, dampening, weight decay, nesterov (1/0)
                {0, 0, 0, 0}, {0, 0, 5e-4f, 0}, {0.9f, 0, 0, 0}, {0.9f, 0.1f, 1e-4f, 0}, {0.9f, 0, 5e-4f, 1}, {0.98f, 0, 1e-4f, 1}};
        for (int n : SIZES) {
            for (float[] cfg : configs) {
                float momentum = cfg[0], dampening = cfg[1], wd = cfg[2];
                boolean nesterov = cfg[3] != 0;
                float[] w = random(r, n), buf = new float[n];
                Tensor tw = tensor(be, w, n), tg = zeros(be, n), tb = momentum == 0 ? null : tensor(be, random(r, n), n);
                for (int step = 0; step < 4; step++) {
                    float[] g = random(r, n);
                    float lr = 0.1f / (step + 1);
                    be.upload(MemorySegment.ofArray(g), tg);
                    be.sgdStep(tw, tg, tb, lr, momentum, dampening, wd, nesterov, step == 0);
                    referenceSgd(w, g, buf, lr, momentum, dampening, wd, nesterov, step == 0);
                    String what = "n=" + n + " momentum=" + momentum + " dampening=" + dampening + " wd=" + wd
                            + " nesterov=" + nesterov + " step " + step;
                    assertArrayEquals(w, read(be, tw), what);
                    if (tb != null) assertArrayEquals(buf, read(be, tb), "momentum buffer, " + what);
                    assertArrayEquals(g, read(be, tg), "g is not modified, " + what);
                }
            }
        }
    }

    @Test
    void grdaMatchesAFloat64ReferenceAndCountsZeros() {
        Random r = new Random(2);
        for (int n : SIZES) {
            float[] acc = random(r, n), g = random(r, n);
            Tensor tw = tensor(be, random(r, n), n), tg = tensor(be, g, n), ta = tensor(be, acc, n), counter = zeros(be, 1);
            float lr = 0.05f, tau = 0.7f;
            be.grdaStep(tw, tg, ta, lr, tau, counter);
            float[] expectedAcc = new float[n], expectedW = new float[n];
            long zeros = 0;
            for (int i = 0; i < n; i++) {
                // Each float32 operation of the kernel is exactly rounded, as float64 followed by a cast is here.
                float a = (float) ((double) acc[i] - (double) (float) ((double) lr * g[i]));
                double shrunk = Math.max(Math.abs((double) a) - tau, 0);
                expectedAcc[i] = a;
                expectedW[i] = (float) (Math.signum((double) a) * shrunk);
                if ((float) shrunk == 0) zeros++;
            }
            assertArrayEquals(expectedAcc, read(be, ta), "acc, n=" + n);
            float[] w = read(be, tw);
            for (int i = 0; i < n; i++) assertEquals(expectedW[i], w[i], 0f, "w[" + i + "], n=" + n);
            assertEquals(zeros, be.readCounter(counter), "zero count, n=" + n);
            assertEquals(zeros, be.countZeros(tw), "the counter agrees with countZeros, n=" + n);
            assertTrue(n < 33 || (zeros > n / 4 && zeros < n), "tau 0.7 zeroes a good share of N(0,1) weights: " + zeros);
            // The counter accumulates across steps until it is cleared with fill.
            be.grdaStep(tw, tg, ta, lr, tau, counter);
            assertEquals(zeros + be.countZeros(tw), be.readCounter(counter));
        }
    }

    /** A diverged accumulator stays visible: w = NaN, not a pruned zero, and not counted (as the kernel does). */
    @Test
    void grdaPassesNaNThroughAndDoesNotCountIt() {
        int n = 37; // vector body and scalar tail
        float[] acc = new float[n], g = new float[n];
        acc[3] = Float.NaN;
        acc[n - 1] = Float.NaN;
        acc[5] = 0.5f;
        Tensor tw = tensor(be, new float[n], n), ta = tensor(be, acc, n);
        Tensor counter = tensor(be, new float[1], 1);
        be.grdaStep(tw, tensor(be, g, n), ta, 0.1f, 0.01f, counter);
        float[] w = read(be, tw);
        assertTrue(Float.isNaN(w[3]) && Float.isNaN(w[n - 1]), "NaN written through");
        assertEquals(0.49f, w[5], 1e-7f);
        assertEquals(n - 3, be.readCounter(counter), "zeros: all but the two NaNs and the 0.5");
    }

    @Test
    void grdaWithZeroThresholdWritesTheAccumulatorBitwiseExceptTheSignOfZero() {
        float[] acc = {0f, -0f, 1e-30f, -3.5f, Float.MIN_VALUE, -Float.MIN_VALUE, 7f, Float.MAX_VALUE, Float.NEGATIVE_INFINITY};
        float[] g = new float[acc.length];
        Tensor tw = tensor(be, new float[acc.length], acc.length), ta = tensor(be, acc, acc.length);
        be.grdaStep(tw, tensor(be, g, g.length), ta, 0.1f, 0f, null);
        float[] w = read(be, tw), a = read(be, ta);
        for (int i = 0; i < acc.length; i++) {
            // a zero is always written as +0.0 (as the grda_step kernel does); every other value is acc itself
            int expected = a[i] == 0f ? 0 : Float.floatToRawIntBits(a[i]);
            assertEquals(expected, Float.floatToRawIntBits(w[i]), "w == acc bitwise at " + acc[i]);
        }
    }

    @Test
    void grdaWithoutThresholdReproducesSgdWithoutMomentumExactly() {
        Random r = new Random(3);
        int n = 140_003; // three parallel chunks
        float[] w0 = random(r, n);
        Tensor sgdW = tensor(be, w0, n), grdaW = zeros(be, n), acc = tensor(be, w0, n), tg = zeros(be, n);
        for (int step = 0; step < 5; step++) {
            be.upload(MemorySegment.ofArray(random(r, n)), tg);
            float lr = step < 3 ? 0.1f : 0.01f;
            be.sgdStep(sgdW, tg, null, lr, 0f, 0f, 0f, false, step == 0);
            be.grdaStep(grdaW, tg, acc, lr, 0f, null);
            float[] a = read(be, sgdW), b = read(be, grdaW);
            for (int i = 0; i < n; i++) {
                assertEquals(Float.floatToRawIntBits(a[i]), Float.floatToRawIntBits(b[i]), "step " + step + " element " + i);
            }
        }
    }

    @Test
    void counterWrapsLikeAnUnsigned32BitInteger() {
        Tensor counter = zeros(be, 1);
        ((CpuBuffer) counter.buffer()).segment().set(ValueLayout.JAVA_INT, 4L * counter.offset(), -3); // 2^32 - 3
        Tensor tw = zeros(be, 5), ta = zeros(be, 5);
        be.grdaStep(tw, zeros(be, 5), ta, 0.1f, 1f, counter); // five zeros
        assertEquals(2, be.readCounter(counter));
    }

    @Test
    void embeddingApiRunsOnRawSegments() {
        try (Arena arena = Arena.ofConfined()) {
            int n = 19;
            MemorySegment w = arena.allocate(4L * n), g = arena.allocate(4L * n), acc = arena.allocate(4L * n), buf = arena.allocate(4L * n);
            float[] gs = new float[n], accs = new float[n], ws = new float[n];
            for (int i = 0; i < n; i++) {
                gs[i] = i - 9;
                accs[i] = 0.5f * (i - 9);
                ws[i] = 1 + i;
            }
            MemorySegment.copy(gs, 0, g, ValueLayout.JAVA_FLOAT, 0, n);
            MemorySegment.copy(accs, 0, acc, ValueLayout.JAVA_FLOAT, 0, n);
            // acc' = 0.5*(i-9) - 0.5*(i-9) = 0 exactly for lr 0.5: every weight is zero.
            assertEquals(n, CpuFusedSteps.grdaStep(w, g, acc, n, 0.5f, 0f));
            MemorySegment.copy(ws, 0, w, ValueLayout.JAVA_FLOAT, 0, n);
            CpuFusedSteps.sgdStep(w, g, buf, n, 0.5f, 0.9f, 0f, 0f, false, true);
            for (int i = 0; i < n; i++) {
                assertEquals(ws[i] - 0.5f * gs[i], w.getAtIndex(ValueLayout.JAVA_FLOAT, i), "w[" + i + "]");
                assertEquals(gs[i], buf.getAtIndex(ValueLayout.JAVA_FLOAT, i), "first step copies d into the buffer");
            }
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> CpuFusedSteps.grdaStep(w, g, acc, n + 1, 0.1f, 0f));
            assertTrue(e.getMessage().contains("w holds 19 floats"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> CpuFusedSteps.grdaStep(w, g, acc, n, 0.1f, -1f));
            assertThrows(IllegalArgumentException.class, () -> CpuFusedSteps.sgdStep(w, g, null, n, 0.1f, 0.9f, 0f, 0f, false, false));
        }
    }

    @Test
    void rejectsMismatchedViewsAndBadHyperparameters() {
        Tensor w = zeros(be, 10), g = zeros(be, 9), acc = zeros(be, 10);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> be.grdaStep(w, g, acc, 0.1f, 0f, null));
        assertTrue(e.getMessage().contains("grdaStep"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> be.sgdStep(w, zeros(be, 10), null, 0.1f, 0.9f, 0f, 0f, false, true));
        assertThrows(IllegalArgumentException.class, () -> be.sgdStep(w, zeros(be, 10), zeros(be, 10), 0.1f, 0.9f, 0.5f, 0f, true, true));
        assertThrows(IllegalArgumentException.class, () -> be.grdaStep(w, zeros(be, 10), acc, 0.1f, Float.NaN, null));
    }
}
