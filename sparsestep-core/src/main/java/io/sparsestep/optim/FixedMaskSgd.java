package io.sparsestep.optim;

import io.sparsestep.params.ParamSpace;

import java.util.Map;

/**
 * {@link FixedMaskSpec}'s optimizer: {@link MaskedMomentum} (through {@link MaskedOptimizer}) with a mask that only its owner
 * sets, once, before training ({@link #pruningMask()} is where it goes); no step or epoch
 * hook changes it. Pruned weights get no update and stay +0.0.
 */
public final class FixedMaskSgd extends MaskedOptimizer {
    private final ParamSpace space;
    private final FixedMaskSpec spec;

    FixedMaskSgd(ParamSpace space, FixedMaskSpec spec) {
        super(space, spec.sgd(), "fixed-mask", "fixed-mask SGD");
        this.space = space;
        this.spec = spec;
    }

    /** Zeroes the weights the (just set) mask prunes; call after writing the mask, before the first step. */
    public void applyMask() { sgd.zeroPruned(space); }

    @Override
    public Map<String, Object> hyperparameters() {
        Map<String, Object> out = sgd.hyperparameters();
        out.put("fixed_mask", Map.of("from", spec.hasMask() ? spec.maskFrom() : "(none: every weight kept)",
                "rule", "mask.prune.* tensors of the file, else the nonzero pattern of its conv/linear weights; never updated"));
        return out;
    }
}
