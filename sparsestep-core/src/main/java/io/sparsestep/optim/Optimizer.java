package io.sparsestep.optim;

import java.util.Map;

/**
 * Updates a network's parameters from its gradients, one fused backend pass per parameter
 * group. State buffers are allocated once, when the optimizer is built, with the same
 * layout as the parameter buffer; {@link #step} allocates nothing.
 */
public interface Optimizer extends AutoCloseable {
    /** One update; each group's learning rate is its base rate times {@code lrFactor} (from the schedule). */
    void step(double lrFactor);

    /**
     * Called by the training loop before the steps of epoch {@code epoch} (1-based), also
     * for the first epoch of a resumed run: where a method prunes at epoch boundaries
     * (one-shot magnitude, DropPruning). Runs on the backend like a step; allocates nothing.
     */
    default void startEpoch(int epoch) {}

    /**
     * Called by the training loop after the last step of epoch {@code epoch} and before it is
     * evaluated: where a method prunes after training (GSM's final magnitude prune).
     */
    default void endEpoch(int epoch) {}

    /** The mask a masked method prunes with (its sparsity is the mask's), if it has one. */
    default java.util.Optional<io.sparsestep.params.Mask> pruningMask() { return java.util.Optional.empty(); }

    /** The method id: "grda", "sgd", "gsm", ... */
    String name();

    /** Bytes of optimizer state on the backend (gRDA: one buffer; SGD-momentum: one; plain SGD: none). */
    long stateBytes();

    /**
     * Exact zeros the last step wrote into the prunable weights, when the step counts them
     * for free (gRDA's fused count); -1 when not known. Waits for the backend.
     */
    default long lastStepZeros() { return -1; }

    /** The state a checkpoint must hold to continue this optimizer exactly (see {@link OptimizerState}). */
    OptimizerState state();

    /**
     * Puts back the scalars of a {@link #state()} taken earlier (the buffers are written
     * through the state's views). A missing or non-finite scalar is refused by name.
     */
    void restoreScalars(Map<String, Double> scalars);

    /** Settings for summaries, per group. */
    Map<String, Object> hyperparameters();

    @Override
    void close();
}
