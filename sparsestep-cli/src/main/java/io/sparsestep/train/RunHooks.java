package io.sparsestep.train;

import io.sparsestep.nn.Network;
import io.sparsestep.optim.Optimizer;

import java.util.List;
import java.util.Map;

/**
 * What a caller adds to a {@link TrainingRun} (iterative pruning's rounds do): a step on a
 * fresh run's network and optimizer once both exist (after {@code --init-from}, before the
 * first epoch; not on resume, where the checkpoint holds that state), listeners of its own
 * beside the run's, and entries added to summary.json's hyperparameters (what `retrain`
 * records: where the structure came from, the mode, the epoch count chosen).
 */
public record RunHooks(Start start, List<TrainingListener> listeners, Map<String, Object> summary) {
    /** A plain run. */
    public static final RunHooks NONE = new RunHooks((net, opt) -> {}, List.of(), Map.of());

    public RunHooks(Start start, List<TrainingListener> listeners) {
        this(start, listeners, Map.of());
    }

    /** A plain run whose summary.json gets {@code entries} too. */
    public static RunHooks summary(Map<String, Object> entries) {
        return new RunHooks(NONE.start(), List.of(), entries);
    }

    /** Sets up a fresh run's state. */
    @FunctionalInterface
    public interface Start {
        void apply(Network net, Optimizer opt);
    }

    public RunHooks {
        listeners = List.copyOf(listeners);
        summary = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(summary));
    }
}
