package io.sparsestep.optim;

import io.sparsestep.backend.Backend;
import io.sparsestep.backend.SelectOps.Score;
import io.sparsestep.backend.SelectOps.Ties;
import io.sparsestep.params.Mask;
import io.sparsestep.params.ParamBuffer;
import io.sparsestep.params.ParamGroup;
import io.sparsestep.params.ParamSpace;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * DropPruning's optimizer ({@link DropPruningSpec}): momentum SGD under a mask, with a round
 * at the start of epochs {@code 1 + E, 1 + 2E, ...} up to the last epoch before the final
 * fine-tuning, and a deterministic prune to exactly the target at the start of the final
 * fine-tuning. A round, per scope: R kept, T the target count ({@code max(round_half_even((1-s)*n), 1)});
 * nothing when {@code R <= T}; else {@code c = min(round_half_even(alpha*R), R - T)}
 * candidates, the survivors are the R - c largest |w| of the kept (ties by index: exactly
 * R - c, by radix select and {@code keepTop}), and {@code MaskOps.dropStep} draws the moves
 * with round index j (the j-th round, from 0) as the Philox counter's round word. So the
 * expected density after a round is {@code d - p*c/n + q*(1 - d)}; with p = 1 and q = 0 a
 * round is exactly iterative magnitude pruning of c weights.
 */
public final class DropPruning implements Optimizer {
    private final Backend be;
    private final ParamSpace space;
    private final DropPruningSpec spec;
    private final TrainingPlan plan;
    private final int lastRoundEpoch;
    private final MaskedMomentum sgd;
    private final PrunableTensors prunable;
    private final Mask survivors;
    private final ParamBuffer saved; // --restore last only
    private int roundsDone;
    private boolean finalPruned;

    DropPruning(ParamSpace space, DropPruningSpec spec, TrainingPlan plan, int finalEpochs) {
        this.be = space.backend();
        this.space = space;
        this.spec = spec;
        this.plan = plan;
        this.lastRoundEpoch = plan.epochs() - finalEpochs;
        this.sgd = new MaskedMomentum(space, spec.sgd(), "droppruning");
        this.prunable = sgd.prunable();
        Mask surv = null;
        try {
            surv = Mask.keepingAll(space, "droppruning.survivors");
            this.saved = spec.restoreLast() ? space.allocateLike("droppruning.saved") : null;
        } catch (RuntimeException e) {
            if (surv != null) surv.close();
            sgd.close();
            throw e;
        }
        this.survivors = surv;
    }

    /** Whether a stochastic round runs at the start of {@code epoch}. */
    boolean roundAt(int epoch) {
        return epoch > 1 && (epoch - 1) % spec.pruneEvery() == 0 && epoch <= lastRoundEpoch;
    }

    @Override
    public void startEpoch(int epoch) {
        if (roundAt(epoch)) {
            // the round's index is a function of the epoch, so a resumed run draws what the uninterrupted one did
            round((epoch - 1) / spec.pruneEvery() - 1);
        }
        if (epoch == lastRoundEpoch + 1 && lastRoundEpoch < plan.epochs() && !finalPruned) finalPrune();
    }

    /** One stochastic round with Philox round word {@code j}. */
    void round(int j) {
        for (PrunableTensors.Layer layer : prunable.scoped(spec.scope())) {
            long kept = be.masks().countKept(layer.mask());
            long target = target(layer);
            if (kept <= target) continue;
            long c = Math.min(MaskPruning.roundHalfEven(spec.alpha() * kept), kept - target);
            // survivors: exactly kept - c of the kept weights, the largest |w| (kept - c >= target >= 1)
            var surv = survivors.all().range(layer.indexBase(), Math.toIntExact(layer.size()));
            be.selects().kthLargest(Score.MAGNITUDE, layer.w(), null, layer.mask(), kept - c, prunable.scratch());
            be.selects().keepTop(Score.MAGNITUDE, layer.w(), null, layer.mask(), Ties.LOWEST_INDEX_FIRST, prunable.scratch(), surv);
            var keep = saved == null ? null : saved.group(ParamGroup.WEIGHTS).range(layer.indexBase(), Math.toIntExact(layer.size()));
            be.masks().dropStep(layer.w(), layer.mask(), surv, keep, plan.seed(), j, layer.indexBase(), (float) spec.p(), (float) spec.q());
        }
        roundsDone = j + 1;
    }

    /** The deterministic prune to exactly the target before the final fine-tuning. */
    void finalPrune() {
        for (PrunableTensors.Layer layer : prunable.scoped(spec.scope())) MaskPruning.keepLargest(be, layer, target(layer), prunable.scratch());
        sgd.zeroPruned(space);
        finalPruned = true;
    }

    private long target(PrunableTensors.Layer layer) {
        return Math.max(MaskPruning.roundHalfEven((1 - spec.sparsity()) * layer.size()), 1);
    }

    @Override
    public void step(double lrFactor) { sgd.step(lrFactor); }

    @Override
    public Optional<Mask> pruningMask() { return Optional.of(sgd.mask()); }

    @Override
    public String name() { return "droppruning"; }

    @Override
    public long stateBytes() {
        return sgd.stateBytes() + survivors.size() + (saved == null ? 0 : 4 * saved.buffer().words());
    }

    @Override
    public OptimizerState state() {
        Map<String, Double> scalars = new LinkedHashMap<>();
        sgd.putScalars(scalars);
        scalars.put("rounds_done", (double) roundsDone);
        scalars.put("final_pruned", finalPruned ? 1.0 : 0.0);
        Map<String, ParamBuffer> buffers = new LinkedHashMap<>(sgd.buffers());
        if (saved != null) buffers.put("saved", saved);
        return new OptimizerState(buffers, sgd.masks(), scalars);
    }

    @Override
    public void restoreScalars(Map<String, Double> scalars) {
        double r = StateScalars.require(scalars, "rounds_done", "DropPruning");
        double f = StateScalars.require(scalars, "final_pruned", "DropPruning");
        if (r < 0 || r != Math.rint(r)) throw new IllegalArgumentException("DropPruning state: rounds_done must be a whole number >= 0, got " + r);
        if (f != 0 && f != 1) throw new IllegalArgumentException("DropPruning state: final_pruned must be 0 or 1, got " + f);
        sgd.restoreScalars(scalars, "DropPruning");
        roundsDone = (int) r;
        finalPruned = f == 1;
    }

    @Override
    public Map<String, Object> hyperparameters() {
        Map<String, Object> out = sgd.hyperparameters();
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("sparsity", spec.sparsity());
        d.put("alpha", spec.alpha());
        d.put("p", spec.p());
        d.put("q", spec.q());
        d.put("prune_every", spec.pruneEvery());
        d.put("last_round_epoch", lastRoundEpoch);
        d.put("scope", spec.scope().option());
        d.put("restore", spec.restoreLast() ? "last value" : "zero");
        d.put("random", "Philox4x32-10, key = seed, counter = (weight index, round, stream)");
        out.put("droppruning", d);
        return out;
    }

    @Override
    public void close() {
        survivors.close();
        sgd.close();
        if (saved != null) saved.close();
    }
}
