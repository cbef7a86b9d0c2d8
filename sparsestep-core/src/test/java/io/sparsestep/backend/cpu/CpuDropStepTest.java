package io.sparsestep.backend.cpu;

import io.sparsestep.backend.Philox;
import io.sparsestep.backend.Tensor;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static io.sparsestep.backend.cpu.CpuTestSupport.read;
import static io.sparsestep.backend.cpu.CpuTestSupport.tensor;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * {@code MaskOps.dropStep}'s contract on the CPU, element by element: a kept non-survivor is
 * dropped when the stream-0 uniform of (seed, indexBase + i, round) is below p, a pruned one
 * restored when the stream-1 uniform is below q, one just dropped is not restored, saved
 * values go and come back, and probabilities outside [0, 1] are refused.
 */
class CpuDropStepTest {
    @Test
    void everyMoveIsTheOneItsCounterDraws() {
        Random r = new Random(21);
        int n = CpuBackend.CHUNK + 333;
        long seed = 0xfeed, round = 3, base = 1000;
        float p = 0.4f, q = 0.3f;
        float[] w = new float[n];
        byte[] mask = new byte[n], surv = new byte[n];
        for (int i = 0; i < n; i++) {
            mask[i] = (byte) (r.nextInt(3) == 0 ? 0 : 1);
            surv[i] = (byte) (mask[i] != 0 && r.nextBoolean() ? 1 : 0);
            w[i] = mask[i] != 0 ? (float) r.nextGaussian() : 0f;
        }
        float[] saved0 = new float[n];
        for (int i = 0; i < n; i++) saved0[i] = mask[i] == 0 ? (float) r.nextGaussian() : 0f;
        try (CpuBackend be = new CpuBackend(3)) {
            Tensor wt = tensor(be, w, n), savedT = tensor(be, saved0, n);
            Tensor mt = CpuSelectOpsTest.mask(be, mask), st = CpuSelectOpsTest.mask(be, surv);
            be.masks().dropStep(wt, mt, st, savedT, seed, round, base, p, q);
            byte[] gotMask = CpuSelectOpsTest.bytes(be, mt);
            float[] gotW = read(be, wt), gotSaved = read(be, savedT);
            int dropped = 0, restored = 0;
            for (int i = 0; i < n; i++) {
                byte wantMask = mask[i];
                float wantW = w[i], wantSaved = saved0[i];
                if (mask[i] != 0 && surv[i] == 0 && Philox.uniform(seed, base + i, round, 0) < p) {
                    wantMask = 0;
                    wantSaved = w[i];
                    wantW = 0f;
                    dropped++;
                } else if (mask[i] == 0 && Philox.uniform(seed, base + i, round, 1) < q) {
                    wantMask = 1;
                    wantW = saved0[i];
                    restored++;
                }
                assertEquals(wantMask, gotMask[i], "mask " + i);
                assertEquals(Float.floatToRawIntBits(wantW), Float.floatToRawIntBits(gotW[i]), "w " + i);
                assertEquals(Float.floatToRawIntBits(wantSaved), Float.floatToRawIntBits(gotSaved[i]), "saved " + i);
            }
            // both moves happened at about their rates: a sanity check that the test sees something
            assertEquals(1, dropped > 5000 && restored > 3000 ? 1 : 0, "dropped " + dropped + ", restored " + restored);
        }
    }

    @Test
    void withoutSavedValuesRestoredWeightsAreZeroAndBadProbabilitiesAreRefused() {
        try (CpuBackend be = new CpuBackend(1)) {
            Tensor w = tensor(be, new float[]{0f, 0f, 0f}, 3);
            Tensor m = CpuSelectOpsTest.mask(be, new byte[]{0, 0, 0}), s = CpuSelectOpsTest.mask(be, new byte[]{0, 0, 0});
            be.masks().dropStep(w, m, s, null, 1, 0, 0, 1f, 1f);
            assertArrayEquals(new byte[]{1, 1, 1}, CpuSelectOpsTest.bytes(be, m));
            assertArrayEquals(new float[]{0f, 0f, 0f}, read(be, w));
            assertThrows(IllegalArgumentException.class, () -> be.masks().dropStep(w, m, s, null, 1, 0, 0, 1.5f, 0f));
            assertThrows(IllegalArgumentException.class, () -> be.masks().dropStep(w, m, s, null, 1, 0, 0, 0f, Float.NaN));
        }
    }
}
