package io.sparsestep.djl;

import io.sparsestep.backend.cpu.CpuFusedSteps;
import io.sparsestep.optim.Grda;

import java.lang.foreign.MemorySegment;

/**
 * gRDA (ALGORITHMS.md 1.1), per parameter tensor as the authors' code: the accumulator
 * starts at the weights of the first step, each step {@code acc -= lr*g}, the tensor's
 * threshold grows by {@link Grda#tauIncrement} with this step's lr and count, and
 * {@code w = S_tau(acc)}. Weights use {@code c}, biases and norm parameters {@code biasC}
 * (0: never thresholded, then exactly SGD without momentum); both use {@code mu}.
 */
record GrdaRule(double c, double mu, double biasC) implements StepRule {
    GrdaRule {
        // the core's rules and messages; lr comes from the tracker at each step, 1 stands in for it here
        new Grda.Settings(1, c, mu);
        new Grda.Settings(1, biasC, mu);
    }

    @Override
    public String describe() { return "gRDA c=" + c + " mu=" + mu + " bias c=" + biasC; }

    @Override
    public int bufferCount() { return 1; }

    @Override
    public void start(StepState state, MemorySegment w) {
        MemorySegment.copy(w, 0, state.buffer(0), 0, state.size() * Float.BYTES);
    }

    @Override
    public void step(StepViews v, StepState state, float lr, long[] shape, boolean prunable) {
        state.tau += Grda.tauIncrement(prunable ? c : biasC, mu, lr, state.steps);
        CpuFusedSteps.grdaStep(v.weight().segment(), v.gradient().segment(), state.buffer(0), state.size(), lr, (float) state.tau);
    }
}
