package io.sparsestep.backend.cpu;

import io.sparsestep.backend.Buffer;
import io.sparsestep.backend.Tensor;
import io.sparsestep.testing.FusedStepReference;
import io.sparsestep.testing.SgdVariant;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;

import static io.sparsestep.backend.cpu.CpuTestSupport.*;
import static io.sparsestep.testing.Bits.assertSameBits;
import static org.junit.jupiter.api.Assertions.*;

/**
 * The fused optimizer steps against {@link FusedStepReference}, the formulas in plain float32,
 * bit for bit ({@link io.sparsestep.testing.Bits}: raw bits, so a pruned weight written as -0.0 fails), at sizes
 * that run the vector body and the scalar tail on any lane count up to 16
 * ({@link FusedStepPaths}), at sizes the backend splits over its workers, and in adjacent
 * views that start off any vector boundary, as an optimizer's groups would.
 */
class CpuFusedStepsTest {
    private static CpuBackend be;
    /** Three workers: four chunks of a chunked size split unevenly (1 + 1 + 2). */
    private static CpuBackend threeThreads;

    @BeforeAll
    static void start() {
        be = new CpuBackend(2);
        threeThreads = new CpuBackend(3);
        FusedStepPaths.requireBodyAndTail("CpuFusedStepsTest", FusedStepPaths.SIZES);
        System.out.println("CpuFusedStepsTest: chunked size " + FusedStepPaths.chunkedSize() + " = "
                + FusedStepPaths.chunks(FusedStepPaths.chunkedSize()) + " chunks over 2 and over 3 workers");
    }

    @AfterAll
    static void stop() {
        be.close();
        threeThreads.close();
    }

    @Test
    void sgdMatchesTheFloat32ReferenceBitwiseInEveryVariantOverSeveralSteps() {
        for (int n : FusedStepPaths.SIZES) checkSgd(be, n, new Random(n));
    }

    @Test
    void sgdChunkBoundariesDoNotChangeABit() {
        checkSgd(be, FusedStepPaths.chunkedSize(), new Random(11));
        checkSgd(threeThreads, FusedStepPaths.chunkedSize(), new Random(12));
    }

    /** Every SGD variant for four steps (the first, then three that read the buffer) at size n. */
    private static void checkSgd(CpuBackend backend, int n, Random r) {
        for (SgdVariant v : SgdVariant.ALL) {
            float[] w = random(r, n), buf = random(r, n);
            Tensor tw = tensor(backend, w, n), tg = zeros(backend, n), tb = v.usesMomentum() ? tensor(backend, buf, n) : null;
            for (int step = 0; step < 4; step++) {
                float[] g = random(r, n);
                float lr = 0.1f / (step + 1);
                backend.upload(MemorySegment.ofArray(g), tg);
                backend.steps().sgd(tw, tg, tb, lr, v.momentum(), v.dampening(), v.weightDecay(), v.nesterov(), step == 0);
                FusedStepReference.sgd(w, g, buf, lr, v, step == 0);
                String what = "n=" + n + " (" + backend.threads() + " threads), " + v + ", step " + step;
                assertSameBits(w, read(backend, tw), "w, " + what);
                if (tb != null) assertSameBits(buf, read(backend, tb), "momentum buffer, " + what);
                assertSameBits(g, read(backend, tg), "g is not modified, " + what);
            }
        }
    }

    @Test
    void grdaMatchesTheFloat32ReferenceBitwiseAndCountsZeros() {
        for (int n : FusedStepPaths.SIZES) checkGrda(be, n, new Random(n));
    }

    @Test
    void grdaChunkBoundariesDoNotChangeABitOrTheCount() {
        checkGrda(be, FusedStepPaths.chunkedSize(), new Random(21));
        checkGrda(threeThreads, FusedStepPaths.chunkedSize(), new Random(22));
    }

    /** Three gRDA steps at size n with a threshold that prunes about half of N(0,1), both signs. */
    private static void checkGrda(CpuBackend backend, int n, Random r) {
        float[] acc = random(r, n), w = random(r, n);
        Tensor tw = tensor(backend, w, n), tg = zeros(backend, n), ta = tensor(backend, acc, n), counter = zeros(backend, 1);
        long zeros = 0;
        for (int step = 0; step < 3; step++) {
            float[] g = random(r, n);
            float lr = 0.05f, tau = 0.7f + 0.01f * step;
            backend.upload(MemorySegment.ofArray(g), tg);
            backend.steps().grda(tw, tg, ta, lr, tau, counter);
            long stepZeros = FusedStepReference.grda(w, g, acc, lr, tau);
            String what = "n=" + n + " (" + backend.threads() + " threads), step " + step;
            assertSameBits(acc, read(backend, ta), "acc, " + what);
            assertSameBits(w, read(backend, tw), "w, " + what);
            // the counter accumulates across steps until it is cleared with fill
            zeros += stepZeros;
            assertEquals(zeros, backend.readCounter(counter), "zero count, " + what);
            assertEquals(stepZeros, backend.elementwise().countZeros(tw), "the step's count agrees with countZeros, " + what);
            assertTrue(n < 33 || (stepZeros > n / 4 && stepZeros < n), "tau 0.7 zeroes a good share of N(0,1) weights: " + stepZeros);
        }
    }

    /**
     * A pruned weight is +0.0 whatever the sign of its accumulator, in the vector body and in
     * the tail: every element here is pruned, half from a negative accumulator.
     */
    @Test
    void prunedWeightsAreWrittenAsPositiveZero() {
        for (int n : FusedStepPaths.SIZES) {
            float[] acc = new float[n];
            for (int i = 0; i < n; i++) acc[i] = (i % 2 == 0 ? -1 : 1) * (0.25f + 0.001f * i);
            Tensor tw = tensor(be, random(new Random(n), n), n), ta = tensor(be, acc, n);
            be.steps().grda(tw, zeros(be, n), ta, 0.1f, 0.5f, null);
            assertSameBits(new float[n], read(be, tw), "w (all pruned, +0.0), n=" + n);
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
        be.steps().grda(tw, tensor(be, g, n), ta, 0.1f, 0.01f, counter);
        float[] w = read(be, tw);
        assertTrue(Float.isNaN(w[3]) && Float.isNaN(w[n - 1]), "NaN written through");
        assertEquals(0.49f, w[5], 1e-7f);
        assertEquals(n - 3, be.readCounter(counter), "zeros: all but the two NaNs and the 0.5");
    }

    /** At tau = 0, w is acc bit for bit, except that both zeros are written +0.0; in the body and the tail. */
    @Test
    void grdaWithZeroThresholdWritesTheAccumulatorBitwiseExceptTheSignOfZero() {
        float[] specials = {0f, -0f, 1e-30f, -3.5f, Float.MIN_VALUE, -Float.MIN_VALUE, 7f, Float.MAX_VALUE, Float.NEGATIVE_INFINITY};
        for (int n : FusedStepPaths.SIZES) {
            float[] acc = new float[n], w = new float[n], g = new float[n];
            for (int i = 0; i < n; i++) acc[i] = specials[(i + n) % specials.length];
            Tensor tw = tensor(be, w, n), ta = tensor(be, acc, n);
            be.steps().grda(tw, tensor(be, g, n), ta, 0.1f, 0f, null);
            FusedStepReference.grda(w, g, acc, 0.1f, 0f);
            assertSameBits(acc, read(be, ta), "acc, n=" + n);
            assertSameBits(w, read(be, tw), "w, n=" + n);
            for (int i = 0; i < n; i++) {
                if (acc[i] != 0f) assertSameBits(acc[i], w[i], "the reference writes acc itself at " + i);
            }
        }
    }

    /**
     * Two adjacent views of one buffer with their own settings, the way an optimizer steps
     * its groups, but starting off every vector boundary (odd offsets, so not a multiple of
     * 2, 4, 8 or 16); the floats around them stay as they were.
     */
    @Test
    void adjacentViewsAtUnalignedStartsStepWithTheirOwnSettings() {
        int[] starts = {1, 47}, sizes = {46, 69}; // views [1, 47) and [47, 116) of a 120-float buffer
        int total = 120;
        Random r = new Random(31);
        float[] w = random(r, total), acc = random(r, total), buf = random(r, total), g = random(r, total);
        Buffer bw = be.allocate(total, "w"), bacc = be.allocate(total, "acc"), bbuf = be.allocate(total, "buf"), bg = be.allocate(total, "g");
        upload(bg, g);
        upload(bw, w);
        upload(bacc, acc);
        float[][] lrTau = {{0.05f, 0.7f}, {0.2f, 0.3f}};
        for (int k = 0; k < 2; k++) {
            be.steps().grda(view(bw, starts[k], sizes[k]), view(bg, starts[k], sizes[k]), view(bacc, starts[k], sizes[k]),
                    lrTau[k][0], lrTau[k][1], null);
            FusedStepReference.grda(w, g, acc, starts[k], starts[k] + sizes[k], lrTau[k][0], lrTau[k][1]);
        }
        assertSameBits(acc, download(bacc), "gRDA acc over the whole buffer");
        assertSameBits(w, download(bw), "gRDA w over the whole buffer");

        upload(bbuf, buf);
        SgdVariant[] variants = {SgdVariant.ALL.get(8), SgdVariant.ALL.get(5)}; // Nesterov with decay; dampened with decay
        for (boolean first : new boolean[]{true, false}) {
            for (int k = 0; k < 2; k++) {
                SgdVariant v = variants[k];
                be.steps().sgd(view(bw, starts[k], sizes[k]), view(bg, starts[k], sizes[k]), view(bbuf, starts[k], sizes[k]),
                        0.1f, v.momentum(), v.dampening(), v.weightDecay(), v.nesterov(), first);
                FusedStepReference.sgd(w, g, buf, starts[k], starts[k] + sizes[k], 0.1f, v, first);
            }
            assertSameBits(buf, download(bbuf), "SGD momentum buffer over the whole buffer, first step " + first);
            assertSameBits(w, download(bw), "SGD w over the whole buffer, first step " + first);
        }
    }

    private static Tensor view(Buffer b, int start, int size) {
        return new Tensor(b, start, size);
    }

    private static void upload(Buffer b, float[] values) {
        be.upload(MemorySegment.ofArray(values), view(b, 0, values.length));
    }

    private static float[] download(Buffer b) {
        return read(be, view(b, 0, Math.toIntExact(b.words())));
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
            be.steps().sgd(sgdW, tg, null, lr, 0f, 0f, 0f, false, step == 0);
            be.steps().grda(grdaW, tg, acc, lr, 0f, null);
            assertSameBits(read(be, sgdW), read(be, grdaW), "gRDA at tau 0 against SGD, step " + step);
        }
    }

    @Test
    void counterWrapsLikeAnUnsigned32BitInteger() {
        Tensor counter = zeros(be, 1);
        ((CpuBuffer) counter.buffer()).segment().set(ValueLayout.JAVA_INT, 4L * counter.offset(), -3); // 2^32 - 3
        Tensor tw = zeros(be, 5), ta = zeros(be, 5);
        be.steps().grda(tw, zeros(be, 5), ta, 0.1f, 1f, counter); // five zeros
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
            float[] expectedBuf = new float[n];
            FusedStepReference.sgd(ws, gs, expectedBuf, 0.5f, new SgdVariant(0.9f, 0f, 0f, false), true);
            assertSameBits(ws, w.toArray(ValueLayout.JAVA_FLOAT), "w");
            assertSameBits(expectedBuf, buf.toArray(ValueLayout.JAVA_FLOAT), "first step copies d into the buffer");
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
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> be.steps().grda(w, g, acc, 0.1f, 0f, null));
        assertTrue(e.getMessage().contains("grdaStep"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> be.steps().sgd(w, zeros(be, 10), null, 0.1f, 0.9f, 0f, 0f, false, true));
        assertThrows(IllegalArgumentException.class, () -> be.steps().sgd(w, zeros(be, 10), zeros(be, 10), 0.1f, 0.9f, 0.5f, 0f, true, true));
        assertThrows(IllegalArgumentException.class, () -> be.steps().grda(w, zeros(be, 10), acc, 0.1f, Float.NaN, null));
    }
}
