package io.sparsestep.optim;

import io.sparsestep.params.Mask;
import io.sparsestep.params.ParamSpace;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * An optimizer whose every step is {@link MaskedMomentum}'s under a mask it owns (fixed-mask
 * SGD, one-shot magnitude pruning, L1 filter pruning, Campfire): what they share is here once:
 * the step, the mask, the state (the momentum buffer, the mask, the first-step flag, then the
 * method's own scalars), the restore and the close. A method adds when and how its mask
 * changes, its own scalars ({@link #putOwnScalars}, {@link #restoreOwnScalars}) and its
 * hyperparameters.
 */
abstract class MaskedOptimizer implements Optimizer {
    /** The masked momentum SGD every step goes through. */
    final MaskedMomentum sgd;
    private final String name;
    /** The method's name in a state error ("magnitude pruning state: ..."). */
    private final String label;

    MaskedOptimizer(ParamSpace space, MomentumSettings settings, String name, String label) {
        this.sgd = new MaskedMomentum(space, settings, name);
        this.name = name;
        this.label = label;
    }

    @Override
    public void step(double lrFactor) { sgd.step(lrFactor); }

    @Override
    public Optional<Mask> pruningMask() { return Optional.of(sgd.mask()); }

    @Override
    public String name() { return name; }

    @Override
    public long stateBytes() { return sgd.stateBytes(); }

    @Override
    public final OptimizerState state() {
        Map<String, Double> scalars = new LinkedHashMap<>();
        sgd.putScalars(scalars);
        putOwnScalars(scalars);
        return new OptimizerState(sgd.buffers(), sgd.masks(), scalars);
    }

    /** The method's scalars beside the first-step flag (none by default). */
    void putOwnScalars(Map<String, Double> scalars) {}

    /** Reads (and checks) the method's own scalars back; called before the first-step flag is. */
    void restoreOwnScalars(Map<String, Double> scalars) {}

    @Override
    public final void restoreScalars(Map<String, Double> scalars) {
        restoreOwnScalars(scalars);
        sgd.restoreScalars(scalars, label);
    }

    /** A 0/1 scalar (whether the one prune happened), refused otherwise. */
    final boolean requireFlag(Map<String, Double> scalars, String key) {
        double v = StateScalars.require(scalars, key, label);
        if (v != 0 && v != 1) throw new IllegalArgumentException(label + " state: " + key + " must be 0 or 1, got " + v);
        return v == 1;
    }

    @Override
    public void close() { sgd.close(); }
}
