package io.sparsestep.optim;

import io.sparsestep.backend.Backend;
import io.sparsestep.params.ParamSpace;

import java.util.Map;

/**
 * One-shot magnitude pruning's optimizer ({@link MagnitudeSpec}): momentum SGD under a mask
 * that keeps everything until the start of epoch {@code pruneAfter + 1}; then, per scope,
 * exactly {@code round_half_even(sparsity * kept)} of the kept weights with the smallest |w|
 * are pruned (the mask's own count, read once), the pruned weights zeroed, and training goes
 * on with the mask fixed. With nothing pruned yet the step is exactly SGD (decay on the
 * weights only).
 */
public final class MagnitudePruning extends MaskedOptimizer {
    private final Backend be;
    private final ParamSpace space;
    private final MagnitudeSpec spec;
    private final int pruneAfter;
    private final PrunableTensors prunable;
    private boolean pruned;

    MagnitudePruning(ParamSpace space, MagnitudeSpec spec, int pruneAfter) {
        super(space, spec.sgd(), "magnitude", "magnitude pruning");
        this.be = space.backend();
        this.space = space;
        this.spec = spec;
        this.pruneAfter = pruneAfter;
        this.prunable = sgd.prunable();
    }

    /** Epochs trained densely before the prune. */
    public int pruneAfter() { return pruneAfter; }

    @Override
    public void startEpoch(int epoch) {
        if (!pruned && epoch == pruneAfter + 1) prune();
    }

    /** The one prune: exactly round_half_even(sparsity * kept) removed per scope, then the weights zeroed. */
    void prune() {
        MaskPruning.removeShare(be, prunable, spec.scope(), spec.sparsity());
        sgd.zeroPruned(space);
        pruned = true;
    }

    @Override
    void putOwnScalars(Map<String, Double> scalars) { scalars.put("pruned", pruned ? 1.0 : 0.0); }

    @Override
    void restoreOwnScalars(Map<String, Double> scalars) { pruned = requireFlag(scalars, "pruned"); }

    @Override
    public Map<String, Object> hyperparameters() {
        Map<String, Object> out = sgd.hyperparameters();
        out.put("magnitude", Map.of("sparsity", spec.sparsity(), "prune_after_epoch", pruneAfter, "scope", spec.scope().option(),
                "rule", "torch.nn.utils.prune L1: exactly round_half_even(sparsity * kept) removed, ties by index"));
        return out;
    }
}
