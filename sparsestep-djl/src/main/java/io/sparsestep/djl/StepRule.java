package io.sparsestep.djl;

import java.lang.foreign.MemorySegment;
import java.util.List;

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
     * Refuses settings these weights cannot take (the block's trainable weights, initialized,
     * in its order), with the option and its rule named: checked when the optimizer is built
     * on an initialized block, else at its first update, before anything changes.
     */
    default void checkWeights(List<ParameterRoles.Role> trainable) {}

    /**
     * Step number {@code state.steps} (1-based, already counted) at learning rate lr: reads
     * the gradient of {@code v}, updates its weight and the state. {@code shape} is the
     * parameter's shape; {@code prunable} says whether it is a weight or a bias/norm
     * parameter. A refusal (an exception) comes before anything is written; the optimizer
     * then takes back the count and gRDA's threshold.
     */
    void step(StepViews v, StepState state, float lr, long[] shape, boolean prunable);

    /**
     * Whether a prunable weight's step number {@code step} (1-based) waits for all trainable
     * weights of the step, for a selection over them together; then {@link #stepWhole} runs
     * instead of {@link #step}.
     */
    default boolean waitsForWholeStep(long step) { return false; }

    /**
     * Steps every weight of a whole step, once the last one has arrived (their counts already
     * advanced); a refusal comes before any weight or buffer is written.
     */
    default void stepWhole(WholeStep step, UpdatePaths paths) {
        throw new IllegalStateException(describe() + " steps each parameter on its own");
    }
}
