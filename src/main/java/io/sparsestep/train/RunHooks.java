package io.sparsestep.train;

import io.sparsestep.nn.Network;
import io.sparsestep.optim.Optimizer;

import java.util.List;

/**
 * What a caller adds to a {@link TrainingRun} (iterative pruning's rounds do): a step on a
 * fresh run's network and optimizer once both exist (after {@code --init-from}, before the
 * first epoch; not on resume, where the checkpoint holds that state), and listeners of its own
 * beside the run's.
 */
public record RunHooks(Start start, List<TrainingListener> listeners) {
    /** A plain run. */
    public static final RunHooks NONE = new RunHooks((net, opt) -> {}, List.of());

    /** Sets up a fresh run's state. */
    @FunctionalInterface
    public interface Start {
        void apply(Network net, Optimizer opt);
    }

    public RunHooks {
        listeners = List.copyOf(listeners);
    }
}
