package io.sparsestep.optim;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * DropPruning (ALGORITHMS.md 7): p = 1, q = 0 is iterative magnitude pruning; the density
 * after a round follows its expectation within binomial noise; the draws are a function of
 * the seed and round (same seed, same masks; another seed, other masks); restored weights
 * take part again (value 0, or their last value); the run ends at exactly the target.
 */
class DropPruningTest {
    @Test
    void pOneQZeroIsIterativeMagnitudePruning() {
        Random r = new Random(8);
        int n = 1000;
        float[] w = GsmTest.gaussian(r, n);
        try (PruningFixture f = new PruningFixture(2, 0, n)) {
            f.set("w0", w);
            try (DropPruning d = (DropPruning) f.build("droppruning", Map.of("--p", "1", "--q", "0", "--alpha", "0.25", "--sparsity", "0.7",
                    "--final-epochs", "1"), new TrainingPlan(10, 1, 3))) {
                boolean[] kept = new boolean[n];
                Arrays.fill(kept, true);
                long remaining = n, target = 300;
                for (int epoch = 1; epoch <= 10; epoch++) {
                    d.startEpoch(epoch);
                    if (epoch >= 2 && remaining > target) {
                        // the reference: remove the c smallest |w| of the kept, c = min(round_half_even(0.25 * kept), kept - target)
                        long c = Math.min((long) Math.rint(0.25 * remaining), remaining - target);
                        Integer[] order = keptByMagnitude(w, kept);
                        for (int i = 0; i < c; i++) kept[order[i]] = false;
                        remaining -= c;
                    }
                    float[] got = f.get("w0");
                    for (int i = 0; i < n; i++) assertEquals(kept[i], got[i] != 0, "epoch " + epoch + ", weight " + i);
                }
                assertEquals(target, d.pruningMask().orElseThrow().kept());
            }
        }
    }

    @Test
    void theDensityAfterARoundFollowsItsExpectationWithinBinomialNoise() {
        Random r = new Random(12);
        int n = 200_000;
        double p = 0.6, q = 0.1, alpha = 0.3;
        try (PruningFixture f = new PruningFixture(2, 0, n)) {
            f.set("w0", GsmTest.gaussian(r, n));
            try (DropPruning d = (DropPruning) f.build("droppruning", Map.of("--p", "0.6", "--q", "0.1", "--alpha", "0.3", "--sparsity", "0.99"),
                    new TrainingPlan(8, 1, 77))) {
                long kept = n;
                for (int j = 0; j < 4; j++) {
                    long c = Math.round(alpha * kept);
                    double expected = kept - p * c + q * (n - kept);
                    double var = c * p * (1 - p) + (n - kept) * q * (1 - q);
                    d.round(j);
                    long now = d.pruningMask().orElseThrow().kept();
                    assertEquals(expected, now, 5 * Math.sqrt(var), "round " + j + ": from " + kept);
                    // every pruned weight is zero (restored ones are zero too, with --restore zero, until trained)
                    assertTrue(GsmTest.zeros(f.get("w0")) >= n - now, "round " + j);
                    kept = now;
                }
            }
        }
    }

    @Test
    void drawsAreAFunctionOfSeedAndRound() {
        List<byte[]> masks = new ArrayList<>();
        for (long seed : new long[]{5, 5, 6}) {
            Random r = new Random(1);
            try (PruningFixture f = new PruningFixture(3, 0, 5000, 3000)) {
                f.set("w0", GsmTest.gaussian(r, 5000));
                f.set("w1", GsmTest.gaussian(r, 3000));
                try (DropPruning d = (DropPruning) f.build("droppruning", Map.of("--scope", "layer"), new TrainingPlan(8, 1, seed))) {
                    d.round(0);
                    d.round(1);
                    masks.add(d.pruningMask().orElseThrow().toHost());
                }
            }
        }
        assertArrayEquals(masks.get(0), masks.get(1), "same seed");
        assertFalse(Arrays.equals(masks.get(0), masks.get(2)), "another seed");
    }

    @Test
    void restoreLastBringsBackTheValueAWeightHadWhenDropped() {
        Random r = new Random(3);
        int n = 20_000;
        float[] w = GsmTest.gaussian(r, n);
        try (PruningFixture f = new PruningFixture(2, 0, n)) {
            f.set("w0", w);
            try (DropPruning d = (DropPruning) f.build("droppruning", Map.of("--restore", "last", "--q", "0.5", "--p", "1", "--sparsity", "0.9"),
                    new TrainingPlan(8, 1, 1))) {
                d.round(0);
                float[] afterDrop = f.get("w0");
                d.round(1);
                float[] afterSecond = f.get("w0");
                int restored = 0;
                for (int i = 0; i < n; i++) {
                    if (afterDrop[i] == 0 && afterSecond[i] != 0) {
                        restored++;
                        assertEquals(w[i], afterSecond[i], "restored weight " + i);
                    }
                }
                assertTrue(restored > 1000, "restored " + restored);
            }
        }
    }

    private static Integer[] keptByMagnitude(float[] w, boolean[] kept) {
        List<Integer> idx = new ArrayList<>();
        for (int i = 0; i < w.length; i++) if (kept[i]) idx.add(i);
        // smallest |w| first; ties (none with Gaussian data) by index, the highest pruned first
        idx.sort((a, b) -> Math.abs(w[a]) != Math.abs(w[b]) ? Float.compare(Math.abs(w[a]), Math.abs(w[b])) : Integer.compare(b, a));
        return idx.toArray(Integer[]::new);
    }
}
