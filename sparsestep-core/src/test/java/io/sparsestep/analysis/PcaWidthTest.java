package io.sparsestep.analysis;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The width rule on activations of known rank, its monotonicity in v, and which units it keeps. */
class PcaWidthTest {
    /**
     * {@code samples} vectors of {@code d} entries that vary only in {@code units}: independent
     * unit-variance values there, a constant 0.5 elsewhere (a dead or saturated unit), so the
     * centred activations span exactly {@code units.length} dimensions.
     */
    private static Covariance activations(int d, int[] units, int samples, long seed) {
        Random rng = new Random(seed);
        Covariance c = new Covariance(d);
        float[] x = new float[d];
        for (int s = 0; s < samples; s++) {
            java.util.Arrays.fill(x, 0.5f);
            for (int u : units) x[u] = (float) rng.nextGaussian();
            c.add(x, 0, 1);
        }
        return c;
    }

    @Test
    void activationsOfRankFiveGiveWidthFive() {
        int[] units = {3, 7, 11, 12, 19};
        double[][] cov = activations(20, units, 2000, 1).matrix();
        for (double v : new double[] {0.95, 0.99, 0.999999}) {
            PcaWidth p = PcaWidth.of(cov, v);
            assertEquals(5, p.width(), "v = " + v);
            assertArrayEquals(units, p.kept(), "the five varying units are the important ones");
        }
        assertTrue(PcaWidth.of(cov, 0.999999).explained() >= 0.999999);
    }

    @Test
    void mixedRankActivationsGiveTheirRank() {
        // 4 latent factors mixed into 30 units by a dense random matrix: rank 4, every unit varies
        Random rng = new Random(5);
        double[][] mix = new double[30][4];
        for (double[] row : mix) for (int k = 0; k < 4; k++) row[k] = rng.nextGaussian();
        Covariance c = new Covariance(30);
        float[] x = new float[30];
        for (int s = 0; s < 3000; s++) {
            double[] z = {rng.nextGaussian(), rng.nextGaussian(), rng.nextGaussian(), rng.nextGaussian()};
            for (int i = 0; i < 30; i++) x[i] = (float) (mix[i][0] * z[0] + mix[i][1] * z[1] + mix[i][2] * z[2] + mix[i][3] * z[3]);
            c.add(x, 0, 1);
        }
        // float32 rounding of x adds variance about 1e-14 of the signal's: far below 1 - v
        assertEquals(4, PcaWidth.of(c.matrix(), 0.999999).width());
    }

    @Test
    void theWidthGrowsWithTheVarianceShare() {
        // full rank with decaying variances: every threshold picks another prefix
        Random rng = new Random(3);
        Covariance c = new Covariance(16);
        float[] x = new float[16];
        for (int s = 0; s < 4000; s++) {
            for (int i = 0; i < 16; i++) x[i] = (float) (rng.nextGaussian() * Math.pow(0.7, i));
            c.add(x, 0, 1);
        }
        double[][] cov = c.matrix();
        int previous = 0;
        for (int step = 1; step <= 100; step++) {
            double v = step / 100.0;
            PcaWidth p = PcaWidth.of(cov, v);
            assertTrue(p.width() >= previous, "v = " + v + ": " + p.width() + " < " + previous);
            assertTrue(p.explained() >= v - 1e-12, "v = " + v + " explained " + p.explained());
            previous = p.width();
        }
        assertEquals(16, PcaWidth.of(cov, 1.0).width(), "v = 1 keeps every unit of a full-rank layer");
        assertEquals(1, PcaWidth.of(cov, 0.01).width());
    }

    @Test
    void aLayerWithoutVarianceKeepsOneUnit() {
        Covariance c = new Covariance(3);
        for (int s = 0; s < 10; s++) c.add(new float[] {1, 2, 3}, 0, 1);
        PcaWidth p = PcaWidth.of(c.matrix(), 0.99);
        assertEquals(1, p.width());
        assertArrayEquals(new int[] {0}, p.kept(), "all tie at 0: the lowest index");
    }

    @Test
    void strideReadsChannelsOfAnNchwPlane() {
        // two channels of a 1x3 plane: [c0: 1 2 3 | c1: 2 4 6]; position q is the observation (x[q], x[3 + q])
        Covariance c = new Covariance(2);
        float[] plane = {1, 2, 3, 2, 4, 6};
        for (int q = 0; q < 3; q++) c.add(plane, q, 3);
        double[][] m = c.matrix();
        assertArrayEquals(new double[] {1, 2}, m[0], 1e-12);
        assertArrayEquals(new double[] {2, 4}, m[1], 1e-12);
    }
}
