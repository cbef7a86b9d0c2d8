package io.sparsestep.train;

import io.sparsestep.store.RunPosition;

import io.sparsestep.store.Checkpoint;

import io.sparsestep.backend.cpu.CpuBackend;
import io.sparsestep.nn.Models;
import io.sparsestep.nn.Network;
import io.sparsestep.optim.Methods;
import io.sparsestep.optim.Optimizer;
import io.sparsestep.optim.Sdprun;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static io.sparsestep.testing.Bits.assertSameBits;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * sDprun resumes from a checkpoint file bit for bit: LeNet-5 (convs and linear layers) steps
 * k times, is checkpointed, steps m more; a fresh network and optimizer, restored from the
 * file, take the same m steps and end with the same weights, accumulator and scalars, for
 * both groupings. The gradients are seeded random values written straight into the
 * gradient buffer (the optimizer is what is under test, not the data pipeline).
 */
class SdprunCheckpointTest {
    private static final int[] SHAPE = {1, 28, 28};

    @Test
    void resumingFromTheCheckpointFileContinuesBitForBit(@TempDir Path dir) throws IOException {
        for (String groups : List.of("filters", "channels")) {
            Path file = dir.resolve(groups + "-" + Checkpoint.FILE_NAME);
            Map<String, String> options = Map.of("--c", "1.5", "--groups", groups, "--bias-bn-c", "0.1");
            int k = 3, m = 4;
            float[][] grads = new float[k + m][];
            float[] uninterrupted, accUninterrupted;
            Map<String, Double> scalars;
            try (CpuBackend be = new CpuBackend(2); Network net = lenet5(be, 1); Optimizer opt = Methods.parse("sdprun", options).build(net.paramSpace())) {
                Random r = new Random(17);
                for (int i = 0; i < k + m; i++) {
                    if (i == k) {
                        Checkpoint.write(file, net, opt, new RunPosition(0, k, List.of()),
                                new Checkpoint.RunIdentity("0.1.0", "lenet5", "synth-digits", List.of("--model", "lenet5", "--method", "sdprun")));
                    }
                    grads[i] = randomGrads(net, r);
                    opt.step(i < 5 ? 1 : 0.5);
                }
                uninterrupted = net.paramSpace().values().toHost();
                accUninterrupted = opt.state().buffers().get("acc").toHost();
                scalars = opt.state().scalars();
                assertTrue(((Sdprun) opt).zeroGroups().stream().anyMatch(c -> c.zero() > 0), groups + ": the run should zero some groups");
            }
            try (CpuBackend be = new CpuBackend(1); Network net = lenet5(be, 99); Optimizer opt = Methods.parse("sdprun", options).build(net.paramSpace());
                 Arena arena = Arena.ofConfined()) {
                Checkpoint c = Checkpoint.read(file, arena);
                assertEquals("sdprun", c.method());
                c.restoreInto(net, opt);
                for (int i = k; i < k + m; i++) {
                    net.paramSpace().grads().fromHost(grads[i]);
                    opt.step(i < 5 ? 1 : 0.5);
                }
                assertSameBits(uninterrupted, net.paramSpace().values().toHost(), groups + ": weights after resuming from the file");
                assertSameBits(accUninterrupted, opt.state().buffers().get("acc").toHost(), groups + ": accumulator");
                assertEquals(scalars, opt.state().scalars(), groups + ": step and thresholds");
            }
        }
    }

    private static Network lenet5(CpuBackend be, long seed) {
        return Network.build("lenet5", be, Models.create("lenet5", SHAPE, 10), SHAPE, 10, 4, seed);
    }

    private static float[] randomGrads(Network net, Random r) {
        float[] g = new float[Math.toIntExact(net.paramSpace().layout().words())];
        for (int i = 0; i < g.length; i++) g[i] = (float) (r.nextGaussian() * 0.3);
        net.paramSpace().grads().fromHost(g);
        return g;
    }
}
