package io.sparsestep.djl;

import io.sparsestep.backend.cpu.CpuFusedSteps;
import io.sparsestep.optim.Sgd;

import java.lang.foreign.MemorySegment;

/**
 * SGD with PyTorch's semantics (torch.optim.SGD, as sparsestep's {@code --method sgd}):
 * {@code d = g + wd*w}; the momentum buffer is d on a tensor's first step, then
 * {@code momentum*buf + (1-dampening)*d}; Nesterov adds {@code momentum*buf} to d. Weight
 * decay applies to every parameter, as in torch's default. Without momentum there is no buffer.
 */
record SgdRule(double momentum, double dampening, double weightDecay, boolean nesterov) implements StepRule {
    SgdRule {
        // the core's rules and messages; lr comes from the tracker at each step, 1 stands in for it here
        new Sgd.Settings(1, momentum, dampening, weightDecay, nesterov);
    }

    @Override
    public String describe() {
        return "SGD momentum=" + momentum + " dampening=" + dampening + " weight decay=" + weightDecay + " nesterov=" + nesterov;
    }

    @Override
    public int bufferCount() { return momentum != 0 ? 1 : 0; }

    @Override
    public void start(StepState state, MemorySegment w) {
        // the momentum buffer is written from the first gradient (firstStep), never read before
    }

    @Override
    public void step(StepViews v, StepState state, float lr, long[] shape, boolean prunable) {
        MemorySegment buf = momentum != 0 ? state.buffer(0) : null;
        CpuFusedSteps.sgdStep(v.weight().segment(), v.gradient().segment(), buf, state.size(), lr, (float) momentum, (float) dampening, (float) weightDecay, nesterov,
                state.steps == 1);
    }
}
