package io.sparsestep.analysis;

import io.sparsestep.backend.cpu.CpuBackend;
import io.sparsestep.data.BatchLoader;
import io.sparsestep.data.DatasetSplit;
import io.sparsestep.nn.BatchNorm2d;
import io.sparsestep.nn.Flatten;
import io.sparsestep.nn.Linear;
import io.sparsestep.nn.Network;
import io.sparsestep.nn.ReLU;
import io.sparsestep.nn.Sequential;
import io.sparsestep.nn.StateTensor;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The recomputed batch-norm statistics against the ones derived in the test from the batch
 * norm's inputs (fc1's outputs, computed in double from the weights and the loader's
 * images): the mean of the whole pass, and the sample-weighted average of each batch's
 * unbiased variance; the layer's own momentum comes back, and a network without batch norm is
 * left alone.
 */
class BatchNormStatisticsTest {
    @Test
    void statisticsBecomeThePassAveragesOfTheBatches() {
        int[] shape = {1, 2, 3};
        int units = 4, count = 50, batch = 16; // batches of 16, 16, 16 and 2
        DatasetSplit split = Fixtures.split("bn", count, shape, 3, 2);
        BatchLoader loader = Fixtures.loader(split, batch);
        try (CpuBackend be = new CpuBackend(2);
             Network net = Fixtures.network(be, new Sequential("", new Flatten("flatten"), new Linear("fc1", units), new BatchNorm2d("bn"),
                     new ReLU("relu"), new Linear("fc2", 3)), split, batch, 6)) {
            // training steps' statistics (momentum 0.1) first, so the recompute has something to replace
            be.upload(hostZeros(net), net.input(batch));
            net.trainStep(batch);
            double[] w = ParamSelection.ALL.pack(net.paramSpace().layout(), net.paramSpace().values().toHost());
            double[][] w1 = Fixtures.tensor(w, net.paramSpace().layout(), "fc1.weight"), b1 = Fixtures.tensor(w, net.paramSpace().layout(), "fc1.bias");
            int[] y = new int[count];
            double[][] x = Fixtures.inputs(loader, y);
            double[] mean = new double[units], var = new double[units];
            for (int u = 0; u < units; u++) {
                double total = 0;
                for (int i = 0; i < count; i++) total += z(w1, b1, x[i], u);
                mean[u] = total / count;
                for (int start = 0; start < count; start += batch) {
                    int n = Math.min(batch, count - start);
                    double m = 0, ss = 0;
                    for (int i = start; i < start + n; i++) m += z(w1, b1, x[i], u) / n;
                    for (int i = start; i < start + n; i++) ss += Math.pow(z(w1, b1, x[i], u) - m, 2);
                    var[u] += n * (ss / (n - 1)) / count;
                }
            }
            BatchNorm2d bn = BatchNormStatistics.layers(net.root()).getFirst();
            assertEquals(BatchNorm2d.DEFAULT_MOMENTUM, bn.momentum());
            assertTrue(BatchNormStatistics.recompute(net, loader));
            assertEquals(BatchNorm2d.DEFAULT_MOMENTUM, bn.momentum(), "the layer's momentum is put back");
            float[] runningMean = state(net, "bn.running_mean"), runningVar = state(net, "bn.running_var");
            for (int u = 0; u < units; u++) {
                assertEquals(mean[u], runningMean[u], 1e-5 * (1 + Math.abs(mean[u])), "mean " + u);
                assertEquals(var[u], runningVar[u], 1e-5 * var[u], "variance " + u);
            }
        }
        try (CpuBackend be = new CpuBackend(2);
             Network plain = Fixtures.network(be, new Sequential("", new Flatten("flatten"), new Linear("fc", 3)), split, batch, 6)) {
            assertFalse(BatchNormStatistics.recompute(plain, loader), "no batch norm, nothing to recompute");
        }
    }

    private static double z(double[][] w1, double[][] b1, double[] x, int u) {
        double s = b1[0][u];
        for (int j = 0; j < x.length; j++) s += w1[u][j] * x[j];
        return s;
    }

    private static MemorySegment hostZeros(Network net) {
        long floats = 1;
        for (int d : net.inputShape()) floats *= d;
        return Arena.ofAuto().allocate(4 * floats * net.maxBatch(), 64);
    }

    private static float[] state(Network net, String name) {
        for (StateTensor s : net.memory().stateList()) {
            if (s.name().equals(name)) {
                try (Arena arena = Arena.ofConfined()) {
                    MemorySegment host = arena.allocate(4L * s.size(), 64);
                    net.backend().download(s.value().get(), host);
                    return host.toArray(ValueLayout.JAVA_FLOAT);
                }
            }
        }
        throw new IllegalArgumentException("no state " + name);
    }
}
