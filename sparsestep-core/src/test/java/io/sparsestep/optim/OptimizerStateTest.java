package io.sparsestep.optim;

import io.sparsestep.backend.Backend;
import io.sparsestep.backend.cpu.CpuBackend;
import io.sparsestep.params.ParamBuffer;
import io.sparsestep.params.ParamGroup;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import java.util.function.Function;

import static io.sparsestep.testing.Bits.assertSameBits;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * An optimizer's {@link Optimizer#state()} is everything it needs to continue: run k steps,
 * take the state (buffers to the host, scalars), run m more; then on fresh memory put the
 * weights and the state back into a freshly built optimizer and run the same m steps. The
 * weights must come out bit for bit the same: that is what makes resume exact.
 */
class OptimizerStateTest {
    private static Backend be;

    @BeforeAll
    static void open() { be = new CpuBackend(2); }

    @AfterAll
    static void close() { be.close(); }

    @Test
    void grdaContinuesExactlyFromItsState() {
        continuesExactly(f -> Grda.builder().lr(0.05).c(0.02).mu(0.6).group(ParamGroup.BIAS_AND_NORM, s -> s.withC(0)).build(f.mem.paramSpace()));
    }

    @Test
    void sgdWithMomentumContinuesExactlyFromItsState() {
        continuesExactly(f -> Sgd.builder().lr(0.05).momentum(0.9).dampening(0.1).weightDecay(1e-3).build(f.mem.paramSpace()));
    }

    @Test
    void sgdResumedBeforeItsFirstStepStillInitialisesTheBuffer() {
        try (FlatFixture f = new FlatFixture(be, 37, 5, 3);
             Sgd sgd = Sgd.builder().lr(0.1).momentum(0.9).build(f.mem.paramSpace())) {
            assertEquals(1.0, sgd.state().scalars().get("first_step"));
            sgd.step(1);
            assertEquals(0.0, sgd.state().scalars().get("first_step"));
        }
    }

    @Test
    void missingOrNonFiniteScalarsAreRefusedByName() {
        try (FlatFixture f = new FlatFixture(be, 37, 5, 3);
             Grda grda = Grda.builder().lr(0.05).c(0.02).mu(0.6).build(f.mem.paramSpace())) {
            Map<String, Double> scalars = new HashMap<>(grda.state().scalars());
            scalars.remove("tau.weights");
            IllegalArgumentException missing = assertThrows(IllegalArgumentException.class, () -> grda.restoreScalars(scalars));
            assertTrue(missing.getMessage().contains("'tau.weights' is missing"), missing.getMessage());
            scalars.put("tau.weights", Double.NaN);
            IllegalArgumentException nan = assertThrows(IllegalArgumentException.class, () -> grda.restoreScalars(scalars));
            assertTrue(nan.getMessage().contains("not a finite number"), nan.getMessage());
        }
    }

    private static void continuesExactly(Function<FlatFixture, Optimizer> make) {
        int k = 3, m = 4;
        Random grads = new Random(11);
        float[][] gradSequence = new float[k + m][];
        float[] weightsAtK, uninterrupted;
        Map<String, float[]> buffersAtK = new HashMap<>();
        Map<String, Double> scalarsAtK;
        try (FlatFixture f = new FlatFixture(be, 37, 5, 1); Optimizer opt = make.apply(f)) {
            for (int s = 0; s < k; s++) {
                gradSequence[s] = f.writeRandomGrads(grads);
                opt.step(s == 2 ? 0.5 : 1);
            }
            weightsAtK = f.mem.paramSpace().values().toHost();
            for (Map.Entry<String, ParamBuffer> e : opt.state().buffers().entrySet()) buffersAtK.put(e.getKey(), e.getValue().toHost());
            scalarsAtK = opt.state().scalars();
            for (int s = k; s < k + m; s++) {
                gradSequence[s] = f.writeRandomGrads(grads);
                opt.step(0.5);
            }
            uninterrupted = f.mem.paramSpace().values().toHost();
        }
        try (FlatFixture f = new FlatFixture(be, 37, 5, 99); Optimizer opt = make.apply(f)) {
            f.mem.paramSpace().values().fromHost(weightsAtK);
            for (Map.Entry<String, ParamBuffer> e : opt.state().buffers().entrySet()) e.getValue().fromHost(buffersAtK.get(e.getKey()));
            opt.restoreScalars(scalarsAtK);
            for (int s = k; s < k + m; s++) {
                f.mem.paramSpace().grads().fromHost(gradSequence[s]);
                opt.step(0.5);
            }
            assertSameBits(uninterrupted, f.mem.paramSpace().values().toHost(), "weights after resuming at step " + k);
        }
    }
}
