package io.sparsestep.backend.cpu;

import io.sparsestep.backend.SelectOps.Score;
import io.sparsestep.backend.Tensor;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static io.sparsestep.backend.cpu.CpuTestSupport.read;
import static io.sparsestep.backend.cpu.CpuTestSupport.tensor;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The masked steps on the CPU: GSM's golden two steps of ALGORITHMS.md 3.4 (selection by
 * radix select, stale momentum moving an unselected weight), GSM with everything selected and
 * masked SGD with a full mask equal to SGD bit for bit, and pruned weights held at +0.0.
 */
class CpuMaskedStepsTest {
    @Test
    void gsmGoldenTwoStepsWithStaleMomentum() {
        try (CpuBackend be = new CpuBackend(2)) {
            Tensor w = tensor(be, CpuSelectOpsTest.GSM_W, 6), g = tensor(be, CpuSelectOpsTest.GSM_G, 6);
            Tensor m = tensor(be, new float[6], 6);
            Tensor scratch = CpuSelectOpsTest.scratch(be, 6);
            double[][] want = {
                    {0.949, -1.998, 0.5995, 3.996, -1.074, 0.04975},
                    {0.852151, -1.994202, 0.7884505, 3.988404, -1.214526, -0.13052475}};
            for (int step = 0; step < 2; step++) {
                be.selects().kthLargest(Score.SALIENCY, w, g, null, 3, scratch);
                be.steps().gsm(w, g, m, be.selects().threshold(scratch), 0.1f, 0.9f, 0.01f, false, step == 0);
                float[] got = read(be, w);
                for (int i = 0; i < 6; i++) assertEquals(want[step][i], got[i], 2e-6 * Math.max(1, Math.abs(want[step][i])), "step " + (step + 1) + ", element " + i);
            }
        }
    }

    @Test
    void gsmSelectingEverythingAndMaskedSgdWithAFullMaskAreSgdBitForBit() {
        Random r = new Random(5);
        int n = CpuBackend.CHUNK + 19;
        float[] w0 = gaussian(r, n), g = gaussian(r, n);
        try (CpuBackend be = new CpuBackend(3)) {
            for (boolean nesterov : new boolean[]{false, true}) {
                float dampening = nesterov ? 0f : 0.25f;
                Tensor ws = tensor(be, w0, n), wg = tensor(be, w0, n), wm = tensor(be, w0, n), gt = tensor(be, g, n);
                Tensor ms = tensor(be, new float[n], n), mg = tensor(be, new float[n], n), mm = tensor(be, new float[n], n);
                Tensor zero = tensor(be, new float[]{0f}, 1);
                byte[] ones = new byte[n];
                java.util.Arrays.fill(ones, (byte) 1);
                Tensor mask = CpuSelectOpsTest.mask(be, ones);
                for (int step = 0; step < 3; step++) {
                    boolean first = step == 0;
                    be.steps().sgd(ws, gt, ms, 0.05f, 0.9f, 0f, 1e-3f, nesterov, first);
                    be.steps().gsm(wg, gt, mg, zero, 0.05f, 0.9f, 1e-3f, nesterov, first);
                    assertBitsEqual(read(be, ws), read(be, wg), "gsm with threshold 0, nesterov " + nesterov);
                    be.steps().sgd(ws, gt, ms, 0.05f, 0.9f, dampening, 1e-3f, nesterov, first); // keep the pair in step
                    be.steps().sgd(wg, gt, mg, 0.05f, 0.9f, dampening, 1e-3f, nesterov, first);
                    be.steps().maskedSgd(wm, gt, mm, mask, 0.05f, 0.9f, dampening, 1e-3f, nesterov, first, true);
                }
                Tensor wr = tensor(be, w0, n), mr = tensor(be, new float[n], n);
                for (int step = 0; step < 3; step++) be.steps().sgd(wr, gt, mr, 0.05f, 0.9f, dampening, 1e-3f, nesterov, step == 0);
                assertBitsEqual(read(be, wr), read(be, wm), "masked sgd with a full mask, nesterov " + nesterov);
            }
        }
    }

    @Test
    void maskedSgdHoldsPrunedWeightsAtPositiveZeroOrLetsThemDrift() {
        try (CpuBackend be = new CpuBackend(2)) {
            float[] w0 = {1f, -2f, 3f, -4f};
            Tensor g = tensor(be, new float[]{0.5f, 0.5f, 0.5f, 0.5f}, 4);
            Tensor mask = CpuSelectOpsTest.mask(be, new byte[]{1, 0, 1, 0});
            Tensor w = tensor(be, w0, 4), m = tensor(be, new float[4], 4);
            be.steps().maskedSgd(w, g, m, mask, 0.1f, 0.9f, 0f, 0.01f, false, true, true);
            float[] got = read(be, w);
            assertEquals(1f - 0.1f * (0.5f + 0.01f * 1f), got[0]);
            assertEquals(0, Float.floatToRawIntBits(got[1]), "pruned -2 must be +0.0");
            assertEquals(0, Float.floatToRawIntBits(got[3]), "pruned -4 must be +0.0");
            Tensor drift = tensor(be, w0, 4), m2 = tensor(be, new float[4], 4);
            be.steps().maskedSgd(drift, g, m2, mask, 0.1f, 0.9f, 0f, 0.01f, false, true, false);
            // not zeroed: the pruned weight gets no gradient but still its decay
            assertEquals(-2f - 0.1f * (0f + 0.01f * -2f), read(be, drift)[1]);
        }
    }

    static float[] gaussian(Random r, int n) {
        float[] out = new float[n];
        for (int i = 0; i < n; i++) out[i] = (float) r.nextGaussian();
        return out;
    }

    static void assertBitsEqual(float[] want, float[] got, String what) {
        for (int i = 0; i < want.length; i++) {
            if (Float.floatToRawIntBits(want[i]) != Float.floatToRawIntBits(got[i])) {
                throw new AssertionError(what + ": element " + i + " is " + got[i] + ", want " + want[i]);
            }
        }
    }
}
