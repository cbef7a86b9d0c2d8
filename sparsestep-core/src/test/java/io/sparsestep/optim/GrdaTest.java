package io.sparsestep.optim;

import io.sparsestep.backend.Backend;
import io.sparsestep.backend.cpu.CpuBackend;
import io.sparsestep.backend.cpu.FusedStepPaths;
import io.sparsestep.params.ParamGroup;
import io.sparsestep.testing.FusedStepReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static io.sparsestep.testing.Bits.assertSameBits;
import static org.junit.jupiter.api.Assertions.*;

class GrdaTest {
    /** Weight and bias group sizes: body and tail on any lane count up to 16, and a chunked weight group. */
    private static final int[][] GROUP_SIZES = {{33, 47}, {69, 17}, {15, 31}, {FusedStepPaths.chunkedSize(), 46}};
    private static Backend be;

    @BeforeAll
    static void open() {
        be = new CpuBackend();
        FusedStepPaths.requireBodyAndTail("GrdaTest", GROUP_SIZES);
    }

    @AfterAll
    static void close() { be.close(); }

    @Test
    void tauIncrementMatchesTheClosedFormUnderConstantLr() {
        // with a constant lr the increments telescope to c * lr^(0.5+mu) * n^mu
        double c = 0.003, mu = 0.7, lr = 0.05, tau = 0;
        for (int n = 1; n <= 500; n++) tau += Grda.tauIncrement(c, mu, lr, n);
        assertEquals(c * Math.sqrt(lr) * Math.pow(500 * lr, mu), tau, 1e-15);
        // first step: c * lr^(0.5+mu) * (1 - 0)
        assertEquals(0.003 * Math.pow(0.05, 1.2), Grda.tauIncrement(c, mu, lr, 1), 1e-18);
    }

    /**
     * The fused float32 step against an independent float64 implementation of the rule, over
     * 1000 steps with an lr drop at step 600 and per-group c (biases excluded from pruning).
     */
    @Test
    void agreesWithFloat64ReferenceOver1000StepsWithAnLrChange() {
        int nw = 2053, nb = 37;
        double lr = 0.05, c = 0.4, mu = 0.65;
        try (FlatFixture f = new FlatFixture(be, nw, nb, 3);
             Grda grda = Grda.builder().lr(lr).c(c).mu(mu).group(ParamGroup.BIAS_AND_NORM, s -> s.withC(0)).build(f.mem.paramSpace())) {
            float[] w0 = f.read(f.mem.params());
            int words = w0.length;
            double[] acc = new double[words];
            double[] w = new double[words];
            for (int i = 0; i < words; i++) acc[i] = w0[i];
            double tauW = 0;
            Random rng = new Random(99);
            float[] g = new float[words];
            for (int step = 1; step <= 1000; step++) {
                double factor = step <= 600 ? 1.0 : 0.1;
                for (int i = 0; i < words; i++) g[i] = (float) (rng.nextGaussian() * 0.3 + (i % 7 == 0 ? 0.2 : 0));
                f.write(f.mem.grads(), g);
                grda.step(factor);
                double stepLr = (double) (float) (lr * factor);
                tauW += c * Math.pow(lr * factor, 0.5 + mu) * (Math.pow(step, mu) - Math.pow(step - 1, mu));
                for (int i = 0; i < words; i++) {
                    acc[i] -= stepLr * g[i];
                    double t = f.inGroup(ParamGroup.WEIGHTS, i) ? tauW : 0;
                    double shrunk = Math.max(Math.abs(acc[i]) - t, 0);
                    w[i] = shrunk == 0 ? +0.0 : Math.copySign(shrunk, acc[i]); // a pruned weight is +0.0, as the kernels write it
                }
            }
            assertEquals(tauW, grda.tau(ParamGroup.WEIGHTS), 1e-12 * tauW);
            float[] got = f.read(f.mem.params());
            double num = 0, den = 0;
            int zerosRef = 0, zerosGot = 0, agree = 0, counted = 0;
            for (int i = 0; i < words; i++) {
                if (!f.inGroup(ParamGroup.WEIGHTS, i) && !f.inGroup(ParamGroup.BIAS_AND_NORM, i)) continue;
                counted++;
                num += (got[i] - w[i]) * (got[i] - w[i]);
                den += w[i] * w[i];
                if (w[i] == 0) zerosRef++;
                if (got[i] == 0) zerosGot++;
                if ((w[i] == 0) == (got[i] == 0)) agree++;
            }
            assertEquals(nw + nb, counted);
            double rel = Math.sqrt(num / den);
            assertTrue(rel <= 1e-5, "relative error " + rel);
            assertTrue(zerosRef > nw / 4, "the test should prune a good share: " + zerosRef);
            assertTrue(agree >= counted - 2, "zero patterns differ at " + (counted - agree) + " places");
            assertEquals(zerosGot, grda.lastStepZeros() + countZerosOutsideWeights(f, got), "fused zero count");
        }
    }

    private static long countZerosOutsideWeights(FlatFixture f, float[] w) {
        long z = 0;
        for (int i = 0; i < w.length; i++) if (f.inGroup(ParamGroup.BIAS_AND_NORM, i) && w[i] == 0) z++;
        return z;
    }

    /**
     * The optimizer's fused pass over each group, bit for bit against the float32 reference:
     * group sizes that run the vector body and the scalar tail (and a weight group the backend
     * splits into chunks), per-group lr and c strong enough to prune a share of both signs,
     * an lr change, and the floats between the groups left alone. The reference takes each
     * group's threshold from the optimizer (held to the closed form elsewhere) as the float
     * the step receives.
     */
    @Test
    void stepsEveryGroupBitwiseLikeTheFloat32Reference() {
        for (int[] shape : GROUP_SIZES) {
            double lr = 0.05, biasLr = 0.02;
            try (FlatFixture f = new FlatFixture(be, shape[0], shape[1], shape[0]);
                 Grda grda = Grda.builder().lr(lr).c(15).mu(0.65)
                         .group(ParamGroup.BIAS_AND_NORM, s -> s.withLr(biasLr).withC(30)).build(f.mem.paramSpace())) {
                float[] w = f.read(f.mem.params()), acc = w.clone();
                Random rng = new Random(shape[1]);
                for (int step = 1; step <= 4; step++) {
                    double factor = step <= 2 ? 1 : 0.5;
                    float[] g = f.writeRandomGrads(rng);
                    grda.step(factor);
                    long zeros = FusedStepReference.grda(w, g, acc, f.from(ParamGroup.WEIGHTS), f.to(ParamGroup.WEIGHTS),
                            (float) (lr * factor), (float) grda.tau(ParamGroup.WEIGHTS));
                    FusedStepReference.grda(w, g, acc, f.from(ParamGroup.BIAS_AND_NORM), f.to(ParamGroup.BIAS_AND_NORM),
                            (float) (biasLr * factor), (float) grda.tau(ParamGroup.BIAS_AND_NORM));
                    String what = "weights " + shape[0] + ", biases " + shape[1] + ", step " + step;
                    assertSameBits(w, f.read(f.mem.params()), "params, " + what);
                    assertEquals(zeros, grda.lastStepZeros(), "fused zero count of the weights, " + what);
                }
            }
        }
    }

    @Test
    void cZeroReproducesPlainSgdExactly() {
        try (FlatFixture a = new FlatFixture(be, 1001, 13, 4); FlatFixture b = new FlatFixture(be, 1001, 13, 4);
             Grda grda = Grda.builder().lr(0.1).c(0).mu(0.6).build(a.mem.paramSpace());
             Sgd sgd = Sgd.builder().lr(0.1).build(b.mem.paramSpace())) {
            Random rng = new Random(5);
            float[] g = new float[Math.toIntExact(a.mem.grads().words())];
            for (int step = 0; step < 200; step++) {
                for (int i = 0; i < g.length; i++) g[i] = (float) rng.nextGaussian();
                a.write(a.mem.grads(), g);
                b.write(b.mem.grads(), g);
                double factor = step < 100 ? 1 : 0.3;
                grda.step(factor);
                sgd.step(factor);
            }
            float[] wa = a.read(a.mem.params()), wb = b.read(b.mem.params());
            assertSameBits(wb, wa, "gRDA at c = 0 against SGD");
        }
    }

    @Test
    void stateIsOneBufferLikeSgdMomentum() {
        try (FlatFixture f = new FlatFixture(be, 100, 10, 1);
             Grda grda = Grda.builder().build(f.mem.paramSpace());
             Sgd sgdm = Sgd.builder().momentum(0.9).build(f.mem.paramSpace());
             Sgd sgd = Sgd.builder().build(f.mem.paramSpace())) {
            assertEquals(4 * f.mem.params().words(), grda.stateBytes());
            assertEquals(grda.stateBytes(), sgdm.stateBytes());
            assertEquals(0, sgd.stateBytes());
        }
    }

    @Test
    void rejectsBadSettings() {
        assertThrows(IllegalArgumentException.class, () -> Grda.builder().mu(1.2));
        assertThrows(IllegalArgumentException.class, () -> Grda.builder().c(-1));
        assertThrows(IllegalArgumentException.class, () -> Grda.builder().lr(Double.NaN));
        assertThrows(IllegalArgumentException.class, () -> Grda.builder().lr(Double.POSITIVE_INFINITY));
        assertThrows(IllegalArgumentException.class, () -> Grda.builder().c(Double.NaN));
        // (0, 1), open at both ends: the theory assumes mu > 0.5, the authors also ran 0.4 (ALGORITHMS.md 1.2)
        for (double mu : new double[]{0, -0.3, 1, 1.5, Double.NaN}) {
            HyperparameterException e = assertThrows(HyperparameterException.class, () -> Grda.builder().mu(mu), "mu " + mu);
            assertEquals("mu", e.parameter());
            assertEquals("--mu must be in (0, 1) (the theory assumes mu > 0.5), got " + mu, e.messageFor("--mu"));
        }
        assertDoesNotThrow(() -> Grda.builder().mu(0.4).mu(0.5).mu(0.501).mu(0.999).mu(1e-3));
    }
}
