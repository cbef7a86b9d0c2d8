package io.sparsestep.optim;

import io.sparsestep.backend.Backend;
import io.sparsestep.backend.cpu.CpuBackend;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.*;

class SgdTest {
    private static Backend be;

    @BeforeAll
    static void open() { be = new CpuBackend(); }

    @AfterAll
    static void close() { be.close(); }

    /**
     * torch.optim.SGD(lr=0.1, momentum=0.9, weight_decay=0.01, nesterov=True) from w=1 with
     * g=0.5 twice, worked by hand: step 1: d=0.51, buf=0.51, d=0.51+0.9*0.51=0.969,
     * w=0.9031; step 2: d=0.5+0.01*0.9031=0.509031, buf=0.9*0.51+0.509031=0.968031,
     * d=0.509031+0.9*0.968031=1.3802589, w=0.76507411.
     */
    @Test
    void nesterovWithWeightDecayMatchesHandComputedPyTorchValues() {
        try (FlatFixture f = new FlatFixture(be, 5, 3, 1);
             Sgd sgd = Sgd.builder().lr(0.1).momentum(0.9).weightDecay(0.01).nesterov(true).build(f.mem)) {
            int words = Math.toIntExact(f.mem.params().words());
            float[] ones = new float[words], half = new float[words];
            Arrays.fill(ones, 1f);
            Arrays.fill(half, 0.5f);
            f.write(f.mem.params(), ones);
            f.write(f.mem.grads(), half);
            sgd.step(1);
            assertEquals(0.9031f, f.read(f.mem.params())[0], 1e-6f);
            sgd.step(1);
            float[] w = f.read(f.mem.params());
            for (int i = 0; i < 5; i++) assertEquals(0.76507411f, w[i], 2e-6f);
        }
    }

    /** Dampening applies from the second step on (the first buffer is the raw gradient). */
    @Test
    void dampeningSkipsTheFirstStep() {
        try (FlatFixture f = new FlatFixture(be, 3, 1, 1);
             Sgd sgd = Sgd.builder().lr(1).momentum(0.5).dampening(0.5).build(f.mem)) {
            int words = Math.toIntExact(f.mem.params().words());
            float[] zeros = new float[words], ones = new float[words];
            Arrays.fill(ones, 1f);
            f.write(f.mem.params(), zeros);
            f.write(f.mem.grads(), ones);
            sgd.step(1); // buf = 1, w = -1
            assertEquals(-1f, f.read(f.mem.params())[0], 0f);
            sgd.step(1); // buf = 0.5*1 + 0.5*1 = 1, w = -2
            assertEquals(-2f, f.read(f.mem.params())[0], 0f);
            sgd.step(0.5); // buf = 1, w = -2.5
            assertEquals(-2.5f, f.read(f.mem.params())[0], 0f);
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
