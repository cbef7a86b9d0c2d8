package io.sparsestep.backend.cpu;

import io.sparsestep.testing.FusedStepReference;
import io.sparsestep.testing.SgdVariant;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;

import static io.sparsestep.backend.cpu.CpuTestSupport.random;
import static io.sparsestep.testing.Bits.assertSameBits;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The update-writing steps ({@link CpuFusedSteps#grdaUpdate}, {@link CpuFusedSteps#sgdUpdate})
 * for a framework that subtracts the update itself: after {@code w = w - u} in plain float32,
 * as such a framework does, w is what {@link FusedStepReference} writes, bit for bit, at the
 * sizes of {@link FusedStepPaths} (vector body and scalar tail), over several steps.
 */
class CpuFusedUpdatesTest {

    @BeforeAll
    static void paths() {
        FusedStepPaths.requireBodyAndTail("CpuFusedUpdatesTest", FusedStepPaths.SIZES);
    }

    /**
     * Why the repair exists: from w = 1 no update u reaches s = 1e-10 by {@code w - u}
     * ({@code w - (w - s)} is 0, and every float u near 1 leaves a multiple of 2^-24).
     */
    @Test
    void theNaiveUpdateDoesNotAlwaysLandOnTheThresholdedValue() {
        float w = 1f, s = 1e-10f;
        assertEquals(0f, w - (w - s));
        assertEquals(0, Float.floatToRawIntBits(w - (w - 0f)), "a zero always lands: w - w = +0.0");
    }

    /**
     * Five steps with weights of N(0,1) and an accumulator that drifts away from them (as a
     * restored or repaired state may), thresholds that prune a good share: the framework's
     * {@code w - u} is the reference's S(acc) bitwise, acc is the reference's, the count is
     * the zeros of w; and the steps needed the repair somewhere (w written, u = +0.0).
     */
    @Test
    void grdaUpdateThenTheFrameworksSubtractionIsTheGrdaStepBitwise() {
        for (int n : FusedStepPaths.SIZES) {
            Random r = new Random(n);
            float[] w = random(r, n), acc = random(r, n);
            for (int i = 0; i < n; i++) acc[i] *= i % 3 == 0 ? 1e-4f : 1f; // tiny s next to w of order 1: rounding bites
            float[] expectedW = w.clone(), expectedAcc = acc.clone();
            long repaired = 0;
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment sw = segment(arena, w), sacc = segment(arena, acc);
                for (int step = 0; step < 5; step++) {
                    float[] g = random(r, n);
                    float lr = 0.05f, tau = step == 0 ? 0f : 0.02f * step;
                    MemorySegment sg = segment(arena, g);
                    float[] before = sw.toArray(ValueLayout.JAVA_FLOAT);
                    long zeros = CpuFusedSteps.grdaUpdate(sw, sg, sacc, n, lr, tau);
                    long expectedZeros = FusedStepReference.grda(expectedW, g, expectedAcc, lr, tau);
                    float[] now = sw.toArray(ValueLayout.JAVA_FLOAT), u = sg.toArray(ValueLayout.JAVA_FLOAT);
                    for (int i = 0; i < n; i++) {
                        if (Float.floatToRawIntBits(now[i]) != Float.floatToRawIntBits(before[i])) {
                            assertEquals(0, Float.floatToRawIntBits(u[i]), "a repaired lane's update is +0.0 at " + i);
                            repaired++;
                        }
                        now[i] = now[i] - u[i]; // the framework's step
                    }
                    String what = "n=" + n + ", step " + step;
                    assertSameBits(expectedW, now, "w after w - u, " + what);
                    assertSameBits(expectedAcc, sacc.toArray(ValueLayout.JAVA_FLOAT), "acc, " + what);
                    assertEquals(expectedZeros, zeros, "zeros, " + what);
                    MemorySegment.copy(now, 0, sw, ValueLayout.JAVA_FLOAT, 0, n);
                }
            }
            assertTrue(n < 15 || repaired > 0, "n=" + n + ": some lane needed the repair");
        }
    }

    /** Everything pruned, accumulators of both signs: w - u is +0.0 everywhere, in the body and the tail. */
    @Test
    void prunedWeightsLandOnPositiveZero() {
        for (int n : FusedStepPaths.SIZES) {
            float[] acc = new float[n];
            for (int i = 0; i < n; i++) acc[i] = (i % 2 == 0 ? -1 : 1) * (0.25f + 0.001f * i);
            float[] w = random(new Random(n), n);
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment sw = segment(arena, w), sg = segment(arena, new float[n]);
                assertEquals(n, CpuFusedSteps.grdaUpdate(sw, sg, segment(arena, acc), n, 0.1f, 0.5f));
                float[] now = sw.toArray(ValueLayout.JAVA_FLOAT), u = sg.toArray(ValueLayout.JAVA_FLOAT);
                for (int i = 0; i < n; i++) now[i] = now[i] - u[i];
                assertSameBits(new float[n], now, "w after w - u (all pruned, +0.0), n=" + n);
            }
        }
    }

    /** Every SGD variant without weight decay, four steps: w - u is the torch.optim.SGD reference's w bitwise. */
    @Test
    void sgdUpdateThenTheFrameworksSubtractionIsTheSgdStepBitwise() {
        for (int n : FusedStepPaths.SIZES) {
            Random r = new Random(100 + n);
            for (SgdVariant v : SgdVariant.ALL) {
                if (v.weightDecay() != 0f) continue;
                float[] w = random(r, n), buf = new float[n], expectedW = w.clone(), expectedBuf = new float[n];
                try (Arena arena = Arena.ofConfined()) {
                    MemorySegment sb = v.usesMomentum() ? segment(arena, buf) : null;
                    for (int step = 0; step < 4; step++) {
                        float[] g = random(r, n);
                        float lr = 0.1f / (step + 1);
                        MemorySegment sg = segment(arena, g);
                        CpuFusedSteps.sgdUpdate(sg, sb, n, lr, v.momentum(), v.dampening(), v.nesterov(), step == 0);
                        FusedStepReference.sgd(expectedW, g, expectedBuf, lr, v, step == 0);
                        float[] u = sg.toArray(ValueLayout.JAVA_FLOAT);
                        for (int i = 0; i < n; i++) w[i] = w[i] - u[i];
                        String what = "n=" + n + ", " + v + ", step " + step;
                        assertSameBits(expectedW, w, "w after w - u, " + what);
                        if (sb != null) assertSameBits(expectedBuf, sb.toArray(ValueLayout.JAVA_FLOAT), "momentum buffer, " + what);
                    }
                }
            }
        }
    }

    @Test
    void argumentsAreChecked() {
        try (Arena arena = Arena.ofConfined()) {
            int n = 19;
            MemorySegment w = arena.allocate(4L * n), g = arena.allocate(4L * n), acc = arena.allocate(4L * n);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> CpuFusedSteps.grdaUpdate(w, g, acc, n + 1, 0.1f, 0f));
            assertTrue(e.getMessage().contains("w holds 19 floats"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> CpuFusedSteps.grdaUpdate(w, g, acc, n, 0.1f, -1f));
            assertThrows(IllegalArgumentException.class, () -> CpuFusedSteps.sgdUpdate(g, null, n, 0.1f, 0.9f, 0f, false, false));
            assertThrows(IllegalArgumentException.class, () -> CpuFusedSteps.sgdUpdate(g, acc, n, 0.1f, 0f, 0f, true, false));
        }
    }

    private static MemorySegment segment(Arena arena, float[] values) {
        MemorySegment s = arena.allocate((long) values.length * Float.BYTES, 64);
        MemorySegment.copy(values, 0, s, ValueLayout.JAVA_FLOAT, 0, values.length);
        return s;
    }
}
