package io.sparsestep.optim;

import io.sparsestep.params.Mask;
import io.sparsestep.params.ParamSpace;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * {@link FixedMaskSpec}'s optimizer: {@link MaskedMomentum} with a mask that only its owner
 * sets, once, before training ({@link #pruningMask()} is where it goes); no step or epoch
 * hook changes it. Pruned weights get no update and stay +0.0.
 */
public final class FixedMaskSgd implements Optimizer {
    private final ParamSpace space;
    private final FixedMaskSpec spec;
    private final MaskedMomentum sgd;

    FixedMaskSgd(ParamSpace space, FixedMaskSpec spec) {
        this.space = space;
        this.spec = spec;
        this.sgd = new MaskedMomentum(space, spec.sgd(), "fixed-mask");
    }

    /** Zeroes the weights the (just set) mask prunes; call after writing the mask, before the first step. */
    public void applyMask() { sgd.zeroPruned(space); }

    @Override
    public void step(double lrFactor) { sgd.step(lrFactor); }

    @Override
    public Optional<Mask> pruningMask() { return Optional.of(sgd.mask()); }

    @Override
    public String name() { return "fixed-mask"; }

    @Override
    public long stateBytes() { return sgd.stateBytes(); }

    @Override
    public OptimizerState state() {
        Map<String, Double> scalars = new LinkedHashMap<>();
        sgd.putScalars(scalars);
        return new OptimizerState(sgd.buffers(), sgd.masks(), scalars);
    }

    @Override
    public void restoreScalars(Map<String, Double> scalars) { sgd.restoreScalars(scalars, "fixed-mask SGD"); }

    @Override
    public Map<String, Object> hyperparameters() {
        Map<String, Object> out = sgd.hyperparameters();
        out.put("fixed_mask", Map.of("from", spec.hasMask() ? spec.maskFrom() : "(none: every weight kept)",
                "rule", "mask.prune.* tensors of the file, else the nonzero pattern of its conv/linear weights; never updated"));
        return out;
    }

    @Override
    public void close() { sgd.close(); }
}
