package io.sparsestep.optim;

import java.util.Map;

/** Reading an optimizer's scalars back from a checkpoint, refusing what is missing or not finite by name. */
final class StateScalars {
    private StateScalars() {}

    static double require(Map<String, Double> scalars, String name, String optimizer) {
        Double v = scalars.get(name);
        if (v == null) throw new IllegalArgumentException(optimizer + " state: scalar '" + name + "' is missing");
        if (!Double.isFinite(v)) throw new IllegalArgumentException(optimizer + " state: scalar '" + name + "' is " + v + ", not a finite number");
        return v;
    }
}
