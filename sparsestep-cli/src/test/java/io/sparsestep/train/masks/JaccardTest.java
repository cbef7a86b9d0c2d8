package io.sparsestep.train.masks;

import org.junit.jupiter.api.Test;

import java.util.BitSet;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * The Jaccard index over kept entries against hand counts, and its chance level against an
 * enumeration of every pair of masks (small n), the large-n form (large n) and random masks
 * drawn here (within the noise the hypergeometric variance predicts).
 */
class JaccardTest {
    @Test
    void handCountedMasks() {
        // kept A = {0, 1, 2, 5}, kept B = {1, 2, 3} of 8: both keep {1, 2}, either {0, 1, 2, 3, 5}
        BitSet a = bits(0, 1, 2, 5), b = bits(1, 2, 3);
        assertEquals(2, Jaccard.intersection(a, b));
        assertEquals(2, Jaccard.intersection(b, a));
        assertEquals(0.4, Jaccard.index(2, 5), 0);
        // over the pruned entries instead ({3, 4, 6, 7} and {0, 4, 5, 6, 7}: 3 of 6) it would be 0.5: the kept convention matters
        assertEquals(2.0 / 5, layer(8, a, b).jaccard(), 0);
    }

    @Test
    void identicalMasksScoreOneDisjointOnesZero() {
        BitSet a = bits(0, 3, 4, 9);
        assertEquals(1.0, layer(10, a, a).jaccard(), 0);
        assertEquals(0.0, layer(10, a, bits(1, 2, 5)).jaccard(), 0);
        assertEquals(1.0, layer(10, new BitSet(), new BitSet()).jaccard(), 0, "two masks that keep nothing are the same mask");
        assertEquals(layer(10, a, bits(3, 5)).jaccard(), layer(10, bits(3, 5), a).jaccard(), 0, "symmetric");
    }

    /** Every pair of masks of 7 entries, each size pair on its own: the exact expectation, to rounding. */
    @Test
    void chanceIsTheAverageOverEveryPairOfMasksOfThoseSizes() {
        int n = 7;
        double[][] sum = new double[n + 1][n + 1];
        int[][] count = new int[n + 1][n + 1];
        for (int x = 0; x < 1 << n; x++) {
            for (int y = 0; y < 1 << n; y++) {
                int k1 = Integer.bitCount(x), k2 = Integer.bitCount(y), both = Integer.bitCount(x & y), either = Integer.bitCount(x | y);
                sum[k1][k2] += either == 0 ? 1 : (double) both / either;
                count[k1][k2]++;
            }
        }
        for (int k1 = 0; k1 <= n; k1++) {
            for (int k2 = 0; k2 <= n; k2++) {
                assertEquals(sum[k1][k2] / count[k1][k2], Jaccard.chance(n, k1, k2), 1e-12, "k1=" + k1 + " k2=" + k2);
            }
        }
        assertEquals(1.0, Jaccard.chance(n, 0, 0), 0);
        assertEquals(0.0, Jaccard.chance(n, 0, 3), 0);
    }

    @Test
    void chanceTendsToTheLargeNForm() {
        for (double[] d : new double[][]{{0.1, 0.3}, {0.05, 0.05}, {0.5, 0.9}, {0.01, 0.99}}) {
            long n = 2_000_000;
            double exact = Jaccard.chance(n, Math.round(d[0] * n), Math.round(d[1] * n));
            double limit = Jaccard.chanceLargeN(d[0], d[1]);
            assertEquals(limit, d[0] * d[1] / (d[0] + d[1] - d[0] * d[1]), 1e-15);
            assertEquals(limit, exact, 2e-5 * limit, "d1=" + d[0] + " d2=" + d[1]);
        }
        // a small layer is where the two differ: 4 and 6 kept of 20 give 0.1474 exactly, 0.1364 in the limit
        double exact = Jaccard.chance(20, 4, 6), limit = Jaccard.chanceLargeN(0.2, 0.3);
        assertEquals(0.14735122119023047, exact, 1e-12);
        assertEquals(0.13636363636363635, limit, 1e-12);
    }

    /**
     * Random masks keeping exactly k1 and k2 of n entries: their Jaccard index is within 5
     * standard deviations of the chance level, the deviation from the hypergeometric variance
     * of the overlap through J's slope (delta method).
     */
    @Test
    void randomMasksOfThoseDensitiesScoreTheChanceLevel() {
        SplittableRandom random = new SplittableRandom(13);
        int n = 200_000;
        for (double[] d : new double[][]{{0.1, 0.3}, {0.05, 0.05}, {0.5, 0.9}}) {
            int k1 = (int) (d[0] * n), k2 = (int) (d[1] * n);
            for (int draw = 0; draw < 3; draw++) {
                double j = layer(n, randomSubset(n, k1, random), randomSubset(n, k2, random)).jaccard();
                double overlap = (double) k1 * k2 / n;
                double variance = overlap * (1 - (double) k1 / n) * (n - k2) / (n - 1.0);
                double slope = (k1 + k2) / Math.pow(k1 + k2 - overlap, 2);
                double sd = slope * Math.sqrt(variance);
                double chance = Jaccard.chance(n, k1, k2);
                assertEquals(chance, j, 5 * sd, "densities " + d[0] + ", " + d[1] + " (sd " + sd + ")");
            }
        }
    }

    @Test
    void countsOutsideTheirRangeAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> Jaccard.chance(10, 11, 2));
        assertThrows(IllegalArgumentException.class, () -> Jaccard.index(3, 2));
        assertThrows(IllegalArgumentException.class, () -> new LayerSimilarity("fc1", 10, 2, 3, 3));
    }

    static BitSet bits(int... set) {
        BitSet b = new BitSet();
        for (int i : set) b.set(i);
        return b;
    }

    static LayerSimilarity layer(int n, BitSet a, BitSet b) {
        return new LayerSimilarity("layer", n, a.cardinality(), b.cardinality(), Jaccard.intersection(a, b));
    }

    /** k of n entries, uniformly (a partial Fisher-Yates shuffle). */
    static BitSet randomSubset(int n, int k, SplittableRandom random) {
        int[] index = new int[n];
        for (int i = 0; i < n; i++) index[i] = i;
        BitSet out = new BitSet(n);
        for (int i = 0; i < k; i++) {
            int j = i + random.nextInt(n - i);
            int t = index[i];
            index[i] = index[j];
            index[j] = t;
            out.set(index[i]);
        }
        return out;
    }
}
