package io.sparsestep.optim;

import io.sparsestep.backend.Backend;
import io.sparsestep.params.Mask;
import io.sparsestep.params.ParamSpace;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * One-shot magnitude pruning's optimizer ({@link MagnitudeSpec}): momentum SGD under a mask
 * that keeps everything until the start of epoch {@code pruneAfter + 1}; then, per scope,
 * exactly {@code round_half_even(sparsity * kept)} of the kept weights with the smallest |w|
 * are pruned (the mask's own count, read once), the pruned weights zeroed, and training goes
 * on with the mask fixed. With nothing pruned yet the step is exactly SGD (decay on the
 * weights only).
 */
public final class MagnitudePruning implements Optimizer {
    private final Backend be;
    private final ParamSpace space;
    private final MagnitudeSpec spec;
    private final int pruneAfter;
    private final MaskedMomentum sgd;
    private final PrunableTensors prunable;
    private boolean pruned;

    MagnitudePruning(ParamSpace space, MagnitudeSpec spec, int pruneAfter) {
        this.be = space.backend();
        this.space = space;
        this.spec = spec;
        this.pruneAfter = pruneAfter;
        this.sgd = new MaskedMomentum(space, spec.sgd(), "magnitude");
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
    public void step(double lrFactor) { sgd.step(lrFactor); }

    @Override
    public Optional<Mask> pruningMask() { return Optional.of(sgd.mask()); }

    @Override
    public String name() { return "magnitude"; }

    @Override
    public long stateBytes() { return sgd.stateBytes(); }

    @Override
    public OptimizerState state() {
        Map<String, Double> scalars = new LinkedHashMap<>();
        sgd.putScalars(scalars);
        scalars.put("pruned", pruned ? 1.0 : 0.0);
        return new OptimizerState(sgd.buffers(), sgd.masks(), scalars);
    }

    @Override
    public void restoreScalars(Map<String, Double> scalars) {
        double p = StateScalars.require(scalars, "pruned", "magnitude pruning");
        if (p != 0 && p != 1) throw new IllegalArgumentException("magnitude pruning state: pruned must be 0 or 1, got " + p);
        sgd.restoreScalars(scalars, "magnitude pruning");
        pruned = p == 1;
    }

    @Override
    public Map<String, Object> hyperparameters() {
        Map<String, Object> out = sgd.hyperparameters();
        out.put("magnitude", Map.of("sparsity", spec.sparsity(), "prune_after_epoch", pruneAfter, "scope", spec.scope().option(),
                "rule", "torch.nn.utils.prune L1: exactly round_half_even(sparsity * kept) removed, ties by index"));
        return out;
    }

    @Override
    public void close() { sgd.close(); }
}
