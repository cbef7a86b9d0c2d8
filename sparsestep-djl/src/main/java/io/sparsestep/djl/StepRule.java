package io.sparsestep.djl;

import java.lang.foreign.MemorySegment;

/**
 * How one parameter takes one step, on host memory: which state buffers it needs, how they
 * start, and the fused pass. The implementations run the core's single-threaded CPU kernels
 * ({@code CpuFusedSteps}), so a step on DJL's memory is the same arithmetic as a step anywhere else.
 */
sealed interface StepRule permits GrdaRule, SgdRule {
    /** The rule and its settings, e.g. {@code gRDA c=0.01 mu=0.6 bias c=0.0}; a saved state must match it. */
    String describe();

    /** Float buffers per parameter, each as long as the parameter. */
    int bufferCount();

    /** Sets up a new state from the parameter's weights before its first step. */
    void start(StepState state, MemorySegment w);

    /**
     * Step number {@code state.steps} (1-based, already counted) at learning rate lr: reads g,
     * updates w and the state. {@code prunable} says whether w is a weight or a bias/norm parameter.
     */
    void step(MemorySegment w, MemorySegment g, StepState state, float lr, boolean prunable);
}
