package io.sparsestep.optim;

import io.sparsestep.backend.Backend;
import io.sparsestep.backend.cpu.CpuBackend;
import io.sparsestep.backend.cpu.FusedStepPaths;
import io.sparsestep.params.ParamGroup;
import io.sparsestep.testing.FusedStepReference;
import io.sparsestep.testing.SgdVariant;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static io.sparsestep.testing.Bits.assertSameBits;
import static org.junit.jupiter.api.Assertions.*;

class SgdTest {
    /** Weight and bias group sizes: body and tail on any lane count up to 16, and a chunked weight group. */
    private static final int[][] GROUP_SIZES = {{33, 47}, {69, 17}, {15, 31}, {FusedStepPaths.chunkedSize(), 46}};
    private static Backend be;

    @BeforeAll
    static void open() {
        be = new CpuBackend();
        FusedStepPaths.requireBodyAndTail("SgdTest", GROUP_SIZES);
    }

    @AfterAll
    static void close() { be.close(); }

    private static Sgd.Settings settings(SgdVariant v, double lr) {
        return new Sgd.Settings(lr, v.momentum(), v.dampening(), v.weightDecay(), v.nesterov());
    }

    /**
     * Every SGD variant on the weights, with another variant and lr on the biases, over a
     * first step and three later ones with an lr change: the whole parameter buffer bit for
     * bit against the float32 reference group by group (so the floats between the groups are
     * left alone too), at group sizes that run the vector body and the scalar tail.
     */
    @Test
    void everyVariantStepsEachGroupBitwiseLikeTheFloat32Reference() {
        List<SgdVariant> all = SgdVariant.ALL;
        for (int k = 0; k < all.size(); k++) {
            SgdVariant wv = all.get(k), bv = all.get((k + 4) % all.size());
            for (int[] shape : GROUP_SIZES) {
                double lr = 0.1, biasLr = 0.03;
                try (FlatFixture f = new FlatFixture(be, shape[0], shape[1], k);
                     Sgd sgd = Sgd.builder().group(ParamGroup.WEIGHTS, s -> settings(wv, lr))
                             .group(ParamGroup.BIAS_AND_NORM, s -> settings(bv, biasLr)).build(f.mem.paramSpace())) {
                    float[] w = f.read(f.mem.params()), buf = new float[w.length];
                    Random rng = new Random(31L * k + shape[0]);
                    for (int step = 0; step < 4; step++) {
                        double factor = step < 2 ? 1 : 0.5;
                        float[] g = f.writeRandomGrads(rng);
                        sgd.step(factor);
                        FusedStepReference.sgd(w, g, buf, f.from(ParamGroup.WEIGHTS), f.to(ParamGroup.WEIGHTS),
                                (float) (lr * factor), wv, step == 0);
                        FusedStepReference.sgd(w, g, buf, f.from(ParamGroup.BIAS_AND_NORM), f.to(ParamGroup.BIAS_AND_NORM),
                                (float) (biasLr * factor), bv, step == 0);
                        assertSameBits(w, f.read(f.mem.params()), "params, weights " + shape[0] + " (" + wv + "), biases "
                                + shape[1] + " (" + bv + "), step " + step);
                    }
                }
            }
        }
    }

    /**
     * torch.optim.SGD(lr=0.1, momentum=0.9, weight_decay=0.01, nesterov=True) from w=1 with
     * g=0.5 twice, worked by hand: step 1: d=0.51, buf=0.51, d=0.51+0.9*0.51=0.969,
     * w=0.9031; step 2: d=0.5+0.01*0.9031=0.509031, buf=0.9*0.51+0.509031=0.968031,
     * d=0.509031+0.9*0.968031=1.3802589, w=0.76507411. Independent of the float32 reference,
     * so a mistake shared by the reference and the kernels still shows; checked on every
     * parameter, vector body and tail.
     */
    @Test
    void nesterovWithWeightDecayMatchesHandComputedPyTorchValues() {
        try (FlatFixture f = new FlatFixture(be, 47, 33, 1);
             Sgd sgd = Sgd.builder().lr(0.1).momentum(0.9).weightDecay(0.01).nesterov(true).build(f.mem.paramSpace())) {
            fillParamsAndGrads(f, 1f, 0.5f);
            sgd.step(1);
            assertEveryParameter(f, 0.9031f, 1e-6f, "step 1");
            sgd.step(1);
            assertEveryParameter(f, 0.76507411f, 2e-6f, "step 2");
        }
    }

    /** Dampening applies from the second step on (the first buffer is the raw gradient). */
    @Test
    void dampeningSkipsTheFirstStep() {
        try (FlatFixture f = new FlatFixture(be, 47, 33, 1);
             Sgd sgd = Sgd.builder().lr(1).momentum(0.5).dampening(0.5).build(f.mem.paramSpace())) {
            fillParamsAndGrads(f, 0f, 1f);
            sgd.step(1); // buf = 1, w = -1
            assertEveryParameter(f, -1f, 0f, "step 1");
            sgd.step(1); // buf = 0.5*1 + 0.5*1 = 1, w = -2
            assertEveryParameter(f, -2f, 0f, "step 2");
            sgd.step(0.5); // buf = 1, w = -2.5
            assertEveryParameter(f, -2.5f, 0f, "step 3");
        }
    }

    private static void fillParamsAndGrads(FlatFixture f, float w, float g) {
        int words = Math.toIntExact(f.mem.params().words());
        float[] ws = new float[words], gs = new float[words];
        Arrays.fill(ws, w);
        Arrays.fill(gs, g);
        f.write(f.mem.params(), ws);
        f.write(f.mem.grads(), gs);
    }

    /** Every weight and bias is {@code expected}: to {@code tolerance}, or bit for bit when it is 0. */
    private static void assertEveryParameter(FlatFixture f, float expected, float tolerance, String what) {
        float[] w = f.read(f.mem.params());
        for (ParamGroup pg : ParamGroup.values()) {
            for (int i = f.from(pg); i < f.to(pg); i++) {
                if (tolerance == 0f) assertSameBits(expected, w[i], what + ", " + pg + " element " + i);
                else assertEquals(expected, w[i], tolerance, what + ", " + pg + " element " + i);
            }
        }
    }

    @Test
    void rejectsBadSettingsByName() {
        assertThrows(IllegalArgumentException.class, () -> Sgd.builder().nesterov(true));
        HyperparameterException n = assertThrows(HyperparameterException.class,
                () -> Sgd.builder().momentum(0.9).dampening(0.5).nesterov(true));
        assertEquals("nesterov", n.parameter());
        for (double bad : new double[]{-0.5, 1.5, Double.NaN}) {
            assertEquals("dampening", assertThrows(HyperparameterException.class, () -> Sgd.builder().dampening(bad)).parameter());
        }
        for (double bad : new double[]{-1e-4, Double.NaN, Double.POSITIVE_INFINITY}) {
            assertEquals("weight decay", assertThrows(HyperparameterException.class, () -> Sgd.builder().weightDecay(bad)).parameter());
        }
        for (double bad : new double[]{-0.1, 1, Double.NaN}) {
            assertEquals("momentum", assertThrows(HyperparameterException.class, () -> Sgd.builder().momentum(bad)).parameter());
        }
        assertDoesNotThrow(() -> Sgd.builder().dampening(1).dampening(0).weightDecay(5e-4));
    }
}
