package io.sparsestep.optim;

import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.Random;

import static io.sparsestep.testing.Bits.assertSameBits;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * GSM as a method: ALGORITHMS.md 3.4's golden two steps (Q = 3 of 6, stale momentum),
 * biases never masked or decayed, ratio 1 equal to momentum SGD bit for bit, the final
 * magnitude prune to exactly N - k0, and a NaN gradient stopping the run by name.
 */
class GsmTest {
    private static final TrainingPlan TWO_EPOCHS = new TrainingPlan(2, 10, 1);

    @Test
    void goldenTwoStepsThroughTheOptimizerWithBiasesUnmaskedAndUndecayed() {
        try (PruningFixture f = new PruningFixture(2, 2, 6);
             Optimizer gsm = f.build("gsm", Map.of("--ratio", "0.5", "--lr", "0.1", "--momentum", "0.9", "--weight-decay", "0.01"), TWO_EPOCHS)) {
            f.set("w0", new float[]{1f, -2f, 0.5f, 4f, -1f, 0.25f});
            f.grad("w0", new float[]{0.5f, 0.125f, -1f, 0f, 0.75f, 2f});
            f.set("b", new float[]{1f, -1f});
            f.grad("b", new float[]{0.5f, 0.5f});
            assertEquals(3, ((Gsm) gsm).q());
            double[][] want = {
                    {0.949, -1.998, 0.5995, 3.996, -1.074, 0.04975},
                    {0.852151, -1.994202, 0.7884505, 3.988404, -1.214526, -0.13052475}};
            for (int step = 0; step < 2; step++) {
                gsm.step(1.0);
                float[] w = f.get("w0");
                for (int i = 0; i < 6; i++) assertEquals(want[step][i], w[i], 2e-6 * Math.max(1, Math.abs(want[step][i])), "step " + (step + 1) + ", w" + i);
            }
            // the bias: full gradient, no decay: b - 0.1*0.5, then momentum 0.9*0.5 + 0.5
            float b1 = 1f - 0.1f * 0.5f;
            assertEquals(b1 - 0.1f * (0.9f * 0.5f + 0.5f), f.get("b")[0]);
        }
    }

    @Test
    void ratioOneIsMomentumSgdWithDecayOnWeightsOnlyBitForBit() {
        Random r = new Random(3);
        int n = (1 << 16) + 7; // more than one CPU chunk
        float[] w0 = gaussian(r, n), b0 = gaussian(r, 5);
        try (PruningFixture a = new PruningFixture(3, 5, n); PruningFixture b = new PruningFixture(3, 5, n);
             Optimizer gsm = a.build("gsm", Map.of("--ratio", "1", "--final-prune", "false", "--nesterov", "true"), TWO_EPOCHS);
             Optimizer sgd = Sgd.builder().lr(0.05).momentum(0.9).nesterov(true).weightDecay(2e-3)
                     .group(io.sparsestep.params.ParamGroup.BIAS_AND_NORM, s -> s.withWeightDecay(0)).build(b.space)) {
            for (PruningFixture f : new PruningFixture[]{a, b}) {
                f.set("w0", w0);
                f.set("b", b0);
            }
            for (int step = 0; step < 3; step++) {
                float[] g = gaussian(r, n), gb = gaussian(r, 5);
                for (PruningFixture f : new PruningFixture[]{a, b}) {
                    f.grad("w0", g);
                    f.grad("b", gb);
                }
                gsm.step(0.5);
                sgd.step(0.5);
                assertSameBits(b.get("w0"), a.get("w0"), "weights after step " + (step + 1));
                assertSameBits(b.get("b"), a.get("b"), "bias after step " + (step + 1));
            }
        }
    }

    @Test
    void theFinalPruneKeepsExactlyNMinusK0AfterTheLastEpochOnly() {
        Random r = new Random(9);
        int n = 1000;
        try (PruningFixture f = new PruningFixture(2, 0, n);
             Optimizer gsm = f.build("gsm", Map.of("--ratio", "0.05"), TWO_EPOCHS)) {
            f.set("w0", gaussian(r, n));
            f.grad("w0", gaussian(r, n));
            gsm.step(1);
            gsm.endEpoch(1);
            assertTrue(gsm.pruningMask().isEmpty(), "no prune before the last epoch");
            assertEquals(0, zeros(f.get("w0")));
            gsm.endEpoch(2);
            long k0 = (long) Math.floor(n * (1 - 0.05));
            assertEquals(n - k0, gsm.pruningMask().orElseThrow().kept());
            assertEquals(k0, zeros(f.get("w0")), "the pruned weights are exactly zero");
        }
    }

    @Test
    void aNanGradientStopsTheRunNamingIt() {
        try (PruningFixture f = new PruningFixture(1, 0, 8);
             Optimizer gsm = f.build("gsm", Map.of("--ratio", "0.5"), TWO_EPOCHS)) {
            f.set("w0", new float[]{1, 2, 3, 4, 5, 6, 7, 8});
            f.grad("w0", new float[]{1, Float.NaN, 1, 1, 1, 1, 1, 1});
            NonFiniteGradientException e = assertThrows(NonFiniteGradientException.class, () -> gsm.step(1));
            assertTrue(e.getMessage().contains("1 conv/linear weights have a NaN score"), e.getMessage());
        }
    }

    @Test
    void aRatioKeepingNothingIsRefusedByName() {
        try (PruningFixture f = new PruningFixture(1, 0, 8)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> f.build("gsm", Map.of("--ratio", "0.1"), TWO_EPOCHS));
            assertTrue(e.getMessage().startsWith("--ratio 0.1 keeps floor(ratio * 8) = 0"), e.getMessage());
            assertEquals(0, f.be.bytesInUse() - 2 * 4 * f.space.layout().words(), "nothing left allocated");
        }
    }

    static float[] gaussian(Random r, int n) {
        float[] out = new float[n];
        for (int i = 0; i < n; i++) out[i] = (float) r.nextGaussian();
        return out;
    }

    static long zeros(float[] x) {
        long z = 0;
        for (float v : x) z += v == 0 ? 1 : 0;
        return z;
    }
}
