package io.sparsestep.optim;

import io.sparsestep.params.ParamGroup;

import java.util.EnumMap;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * Per-group hyperparameters: a default record for every group plus overrides, e.g. gRDA
 * with {@code c = 0} on biases and batch norm so they are never pruned.
 */
final class GroupSettings<T> {
    private final Map<ParamGroup, T> byGroup = new EnumMap<>(ParamGroup.class);

    GroupSettings(T defaults) {
        for (ParamGroup g : ParamGroup.values()) byGroup.put(g, defaults);
    }

    void all(UnaryOperator<T> change) {
        for (ParamGroup g : ParamGroup.values()) byGroup.put(g, change.apply(byGroup.get(g)));
    }

    void group(ParamGroup g, UnaryOperator<T> change) { byGroup.put(g, change.apply(byGroup.get(g))); }

    T get(ParamGroup g) { return byGroup.get(g); }

    Map<ParamGroup, T> snapshot() { return new EnumMap<>(byGroup); }
}
