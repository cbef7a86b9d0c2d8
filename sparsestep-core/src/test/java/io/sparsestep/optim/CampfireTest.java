package io.sparsestep.optim;

import io.sparsestep.backend.cpu.CpuBackend;
import io.sparsestep.params.ParamGroup;
import io.sparsestep.params.ParamLayout;
import io.sparsestep.params.ParamSpace;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Campfire (ALGORITHMS.md 6): masks constant after the freeze epoch; kernel-granularity masks
 * constant over each k x k slice, with exactly the rounded share of kernels kept; window masks
 * with the same count inside every kernel; combined reaching the layer's density; linear
 * and 1x1 layers dense; the cubic ramp over epochs.
 */
class CampfireTest {
    private static final int O = 8, I = 6, K = 3;

    @Test
    void kernelMasksAreWholeSlicesAtTheTargetAndFrozenAfterTheFreezeEpoch() {
        try (Fixture f = new Fixture(); Optimizer c = f.build("kernel", 6)) {
            byte[] frozen = null;
            for (int epoch = 1; epoch <= 6; epoch++) {
                c.startEpoch(epoch);
                for (int s = 0; s < 2; s++) {
                    f.randomGrads();
                    c.step(1);
                }
                byte[] mask = c.pruningMask().orElseThrow().toHost();
                byte[] conv = java.util.Arrays.copyOfRange(mask, 0, O * I * K * K);
                int keptKernels = 0;
                for (int k = 0; k < O * I; k++) {
                    for (int j = 1; j < K * K; j++) assertEquals(conv[k * K * K], conv[k * K * K + j], "kernel " + k + " is one unit");
                    keptKernels += conv[k * K * K];
                }
                double s = ((Campfire) c).sparsityAt(Math.min(epoch, 4));
                assertEquals(Math.max(Math.rint(O * I * (1 - s)), 1), keptKernels, "epoch " + epoch);
                for (int j = O * I * K * K; j < mask.length; j++) assertEquals(1, mask[j], "the linear layer stays dense");
                if (epoch >= 4) {
                    if (frozen == null) frozen = mask;
                    else assertArrayEquals(frozen, mask, "frozen after epoch 3 (the freeze epoch)");
                }
            }
            assertEquals(Math.rint(O * I * 0.3), countKernels(frozen), "the target: 0.7 of the kernels pruned");
        }
    }

    @Test
    void windowMasksKeepTheSameCountInEveryKernelAndCombinedReachesTheDensity() {
        try (Fixture f = new Fixture(); Optimizer w = f.build("window", 2)) {
            w.startEpoch(2); // the freeze epoch (1): the target
            byte[] mask = w.pruningMask().orElseThrow().toHost();
            for (int k = 0; k < O * I; k++) {
                int kept = 0;
                for (int j = 0; j < K * K; j++) kept += mask[k * K * K + j];
                assertEquals(3, kept, "kernel " + k + ": round_half_even(9 * 0.3) = 3 kept"); // 2.7 rounds to 3
            }
            // the kept are the 3 largest |w| of each kernel
            float[] wv = f.weights();
            for (int k = 0; k < O * I; k++) {
                float minKept = Float.MAX_VALUE, maxPruned = 0;
                for (int j = 0; j < K * K; j++) {
                    float a = Math.abs(f.initial[k * K * K + j]);
                    if (mask[k * K * K + j] != 0) minKept = Math.min(minKept, a);
                    else maxPruned = Math.max(maxPruned, a);
                }
                assertTrue(minKept >= maxPruned, "kernel " + k);
            }
            assertEquals(0, wv[firstPruned(mask)]);
        }
        try (Fixture f = new Fixture(); Optimizer c = f.build("combined", 2)) {
            c.startEpoch(2);
            byte[] mask = c.pruningMask().orElseThrow().toHost();
            long kept = 0;
            for (int j = 0; j < O * I * K * K; j++) kept += mask[j];
            // kernels: 1 - sqrt(0.3) = 0.452 pruned -> round(48 * 0.548) = 26 kept; inside: round(9 * 0.548) = 5 kept
            assertEquals(26 * 5, kept);
        }
    }

    @Test
    void kernelGranularityKeepsTheKernelsWithTheLargestL1Norms() {
        try (Fixture f = new Fixture(); Optimizer c = f.build("kernel", 2)) {
            c.startEpoch(2); // the freeze epoch: the target, from the initial weights
            byte[] mask = c.pruningMask().orElseThrow().toHost();
            double minKept = Double.MAX_VALUE, maxPruned = 0;
            for (int k = 0; k < O * I; k++) {
                double norm = 0;
                for (int j = 0; j < K * K; j++) norm += Math.abs(f.initial[k * K * K + j]);
                if (mask[k * K * K] != 0) minKept = Math.min(minKept, norm);
                else maxPruned = Math.max(maxPruned, norm);
            }
            assertTrue(minKept >= maxPruned, "kept kernels' smallest L1 norm " + minKept + " vs pruned kernels' largest " + maxPruned);
        }
    }

    @Test
    void aModelWithoutConvKernelsIsRefused() {
        try (CpuBackend be = new CpuBackend(1);
             ParamSpace space = ParamSpace.allocate(be, ParamLayout.of(List.of(new ParamLayout.Declared("fc.weight", new int[]{4, 4}, ParamGroup.WEIGHTS))))) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> Methods.parse("campfire", Map.of()).build(space, new TrainingPlan(4, 1, 0)));
            assertTrue(e.getMessage().contains("use gmp or magnitude"), e.getMessage());
        }
    }

    private static int countKernels(byte[] mask) {
        int n = 0;
        for (int k = 0; k < O * I; k++) n += mask[k * K * K];
        return n;
    }

    private static int firstPruned(byte[] mask) {
        for (int i = 0; i < mask.length; i++) if (mask[i] == 0) return i;
        throw new AssertionError("nothing pruned");
    }

    /** A conv layer [8, 6, 3, 3] and a linear layer [10, 20], random weights. */
    private static final class Fixture implements AutoCloseable {
        final CpuBackend be = new CpuBackend(2);
        final ParamSpace space = ParamSpace.allocate(be, ParamLayout.of(List.of(
                new ParamLayout.Declared("conv.weight", new int[]{O, I, K, K}, ParamGroup.WEIGHTS),
                new ParamLayout.Declared("fc.weight", new int[]{10, 20}, ParamGroup.WEIGHTS),
                new ParamLayout.Declared("fc.bias", new int[]{10}, ParamGroup.BIAS_AND_NORM))));
        final Random r = new Random(17);
        final float[] initial = GsmTest.gaussian(r, O * I * K * K);

        Fixture() {
            be.upload(MemorySegment.ofArray(initial), space.values().of("conv.weight"));
            be.upload(MemorySegment.ofArray(GsmTest.gaussian(r, 200)), space.values().of("fc.weight"));
        }

        Optimizer build(String granularity, int epochs) {
            return Methods.parse("campfire", Map.of("--granularity", granularity, "--lr", "1e-4")).build(space, new TrainingPlan(epochs, 2, 0));
        }

        void randomGrads() {
            be.upload(MemorySegment.ofArray(GsmTest.gaussian(r, O * I * K * K)), space.grads().of("conv.weight"));
            be.upload(MemorySegment.ofArray(GsmTest.gaussian(r, 200)), space.grads().of("fc.weight"));
        }

        float[] weights() {
            float[] out = new float[O * I * K * K];
            be.download(space.values().of("conv.weight"), MemorySegment.ofArray(out));
            return out;
        }

        @Override
        public void close() {
            space.close();
            be.close();
        }
    }
}
