package io.sparsestep.djl;

import java.lang.foreign.MemorySegment;

/**
 * How one parameter takes one step, on host memory: which state buffers it needs, how they
 * start, and the fused pass. The implementations run the core's CPU kernels (its fused steps
 * and its backend's step, group, selection and mask ops), so a step on DJL's memory is the
 * same arithmetic as a step anywhere else. A rule that ranks all weights together (GSM, global
 * GMP) steps the weights of such a step together, once all have arrived ({@link WholeStep}).
 */
sealed interface StepRule permits GrdaRule, SgdRule, SdprunRule, GsmRule, GmpRule {
    /** The rule and its settings, e.g. {@code gRDA c=0.01 mu=0.6 bias c=0.0}; a saved state must match it. */
    String describe();

    /** Float buffers per parameter, each as long as the parameter. */
    int bufferCount();

    /** Whether the state of a prunable weight holds a pruning mask (GMP's). */
    default boolean masked() { return false; }

    /** Sets up a new state from the parameter's weights before its first step. */
    void start(StepState state, MemorySegment w);

    /**
     * Step number {@code state.steps} (1-based, already counted) at learning rate lr: reads g,
     * updates w and the state. {@code shape} is the parameter's shape; {@code prunable} says
     * whether w is a weight or a bias/norm parameter.
     */
    void step(MemorySegment w, MemorySegment g, StepState state, float lr, long[] shape, boolean prunable);

    /**
     * Whether this prunable weight's step ({@code state.steps} already counted) waits for all
     * trainable weights of the step, for a selection over them together; then
     * {@link #stepWhole} runs instead of {@link #step}.
     */
    default boolean waitsForWholeStep(StepState state) { return false; }

    /** Steps every weight of a whole step, once the last one has arrived. */
    default void stepWhole(WholeStep step, UpdatePaths paths) {
        throw new IllegalStateException(describe() + " steps each parameter on its own");
    }
}
