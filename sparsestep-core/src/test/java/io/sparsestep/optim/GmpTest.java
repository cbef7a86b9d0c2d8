package io.sparsestep.optim;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Gradual magnitude pruning: the schedule's golden values (ALGORITHMS.md 4), updates only on
 * the schedule's steps, per-layer and global counts equal to k exactly (no ties), pruned
 * weights held at zero through steps, the histogram threshold against a hand computation,
 * and the automatic end step.
 */
class GmpTest {
    @Test
    void scheduleGoldenValues() {
        ZhuGuptaSchedule s = new ZhuGuptaSchedule(0, 0.9, 0, 100, 1);
        long[] t = {0, 10, 25, 50, 75, 100, 150};
        double[] want = {0, 0.2439, 0.520313, 0.7875, 0.885938, 0.9, 0.9};
        for (int i = 0; i < t.length; i++) assertEquals(want[i], s.sparsityAt(t[i]), 1e-6, "t = " + t[i]); // the golden values have 6 decimals
        ZhuGuptaSchedule every10 = new ZhuGuptaSchedule(0, 0.9, 5, 45, 10);
        for (long step = 0; step < 60; step++) {
            assertEquals(step >= 5 && step <= 45 && (step - 5) % 10 == 0, every10.updatesAt(step), "step " + step);
        }
    }

    @Test
    void perLayerAndGlobalCountsAreKExactlyAndPrunedWeightsStayZero() {
        Random r = new Random(2);
        for (String scope : new String[]{"layer", "global"}) {
            try (PruningFixture f = new PruningFixture(2, 3, 300, 1000, 77)) {
                float[][] w = {GsmTest.gaussian(r, 300), GsmTest.gaussian(r, 1000), GsmTest.gaussian(r, 77)};
                for (int i = 0; i < 3; i++) f.set("w" + i, w[i]);
                try (Optimizer gmp = f.build("gmp", Map.of("--final-sparsity", "0.8", "--begin-step", "2", "--end-step", "6",
                        "--frequency", "2", "--scope", scope), new TrainingPlan(1, 20, 0))) {
                    ZhuGuptaSchedule sched = ((Gmp) gmp).schedule();
                    for (int step = 0; step < 10; step++) {
                        for (int i = 0; i < 3; i++) f.grad("w" + i, GsmTest.gaussian(r, w[i].length));
                        long[] before = zeros(f);
                        gmp.step(1);
                        long[] after = zeros(f);
                        if (!sched.updatesAt(step)) {
                            // between updates the pattern is fixed: the pruned stay exactly zero, nothing new is pruned
                            assertTrue(Arrays.equals(before, after), scope + " step " + step + ": " + Arrays.toString(before) + " -> " + Arrays.toString(after));
                            continue;
                        }
                        double s = sched.sparsityAt(step);
                        if (scope.equals("layer")) {
                            for (int i = 0; i < 3; i++) {
                                long k = Math.max(Math.round(w[i].length * (1 - s) - 0.0), 1);
                                long kHalfEven = Math.max((long) Math.rint(w[i].length * (1 - s)), 1);
                                assertEquals(w[i].length - kHalfEven, after[i], scope + " step " + step + " layer " + i + " (k " + k + ")");
                            }
                        } else {
                            long n = 300 + 1000 + 77;
                            assertEquals(n - Math.max((long) Math.rint(n * (1 - s)), 1), after[0] + after[1] + after[2], "global step " + step);
                        }
                    }
                    assertEquals(0.8, sched.sparsityAt(9), 0);
                }
            }
        }
    }

    @Test
    void histogramThresholdIsTheOriginalsBinEdgeSmoothedAndStrict() {
        try (PruningFixture f = new PruningFixture(1, 0, 10)) {
            // the stored (unmasked) weights start as the weights the optimizer is built on
            f.set("w0", new float[]{1, -2, 3, -4, 5, -6, 7, -8, 9, -10});
            f.grad("w0", new float[10]);
            Optimizer gmp = f.build("gmp", Map.of("--threshold", "histogram", "--final-sparsity", "0.5", "--initial-sparsity", "0.5",
                    "--end-step", "100", "--frequency", "1", "--lr", "1e-9", "--momentum", "0"), new TrainingPlan(1, 20, 0));
            // |w| = 1..10, max 10: 255 bins of width 10/255; the CDF passes 0.5 in the bin of 5 (index floor(255*5/10) = 127),
            // so 127 bins lie below 0.5: th_new = 127/255*10 = 4.980..., smoothed from 0: 0.498...
            gmp.step(1);
            double th = 0.1 * (127.0 / 255 * 10);
            float[] w = f.get("w0");
            for (int i = 0; i < 10; i++) assertEquals(Math.abs(i + 1) > th, w[i] != 0, "w" + i + " with threshold " + th);
            // after the second update: 0.9*th + 0.1*th_new
            gmp.step(1);
            double th2 = 0.9 * th + 0.1 * (127.0 / 255 * 10);
            w = f.get("w0");
            for (int i = 0; i < 10; i++) assertEquals(i + 1 > th2, w[i] != 0, "w" + i + " after the second update, threshold " + th2);
            assertEquals(0, GsmTest.zeros(w), "the threshold is still below 1");
            for (int i = 0; i < 20; i++) gmp.step(1);
            // 22 updates: 4.98 * (1 - 0.9^22) = 4.49: 1..4 pruned, 5..10 kept
            w = f.get("w0");
            for (int i = 0; i < 10; i++) assertEquals(i >= 4, w[i] != 0, "w" + i + " after many updates");
            gmp.close();
        }
    }

    @Test
    void theAutomaticEndStepIsAMultipleOfTheFrequencyBeforeThreeQuarters() {
        GmpSpec spec = (GmpSpec) Methods.parse("gmp", Map.of("--begin-step", "10", "--frequency", "100"));
        assertEquals(10 + 700, spec.schedule(new TrainingPlan(10, 100, 0)).endStep());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> spec.schedule(new TrainingPlan(1, 50, 0)));
        assertTrue(e.getMessage().contains("lower --frequency or set --end-step"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Methods.parse("gmp", Map.of("--scope", "global", "--threshold", "histogram")));
        IllegalArgumentException c = assertThrows(IllegalArgumentException.class, () -> Methods.parse("gmp", Map.of("--scope", "all")));
        assertEquals("--scope must be one of layer, global, got 'all'", c.getMessage());
    }

    static long[] zeros(PruningFixture f) {
        long[] out = new long[3];
        for (int i = 0; i < 3; i++) out[i] = GsmTest.zeros(f.get("w" + i));
        return out;
    }
}
