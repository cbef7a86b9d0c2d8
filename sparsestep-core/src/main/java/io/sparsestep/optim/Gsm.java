package io.sparsestep.optim;

import io.sparsestep.backend.Backend;
import io.sparsestep.backend.SelectOps.Score;
import io.sparsestep.backend.SelectOps.Selection;
import io.sparsestep.backend.SelectOps.Ties;
import io.sparsestep.params.Mask;
import io.sparsestep.params.ParamBuffer;
import io.sparsestep.params.ParamGroup;
import io.sparsestep.params.ParamSpace;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * GSM's optimizer ({@link GsmSpec}). A step is a radix selection of the Q-th largest
 * {@code |g*w|} over all conv/linear weights (three histogram passes, no sort, no host round
 * trip) and one fused pass ({@code StepOps.gsm}) that gates the gradient by that threshold
 * and takes the momentum step; biases and batch norm take plain momentum SGD without decay.
 * With {@code --exact-q} the selection becomes a mask of exactly Q (ties by index) and the
 * step {@code StepOps.maskedSgd} without zeroing. The selection's NaN count is read after the
 * step: a NaN score means a NaN gradient, and the run stops with that said.
 *
 * <p>After the last epoch ({@link #endEpoch}) the authors' final prune: over all conv/linear
 * weights, {@code k0 = floor(N*(1-ratio))}, keep {@code |w| >=} the (N-k0)-th largest (ties
 * kept; exactly N-k0 with {@code --exact-q}); the pruned weights become +0.0 and the mask is
 * this method's pruning mask from then on.
 */
public final class Gsm implements Optimizer {
    private final Backend be;
    private final ParamSpace space;
    private final GsmSpec spec;
    private final TrainingPlan plan;
    private final MaskedMomentum sgd;
    private final PrunableTensors prunable;
    private final long q;
    private long step;
    private boolean finalPruned;

    Gsm(ParamSpace space, GsmSpec spec, TrainingPlan plan) {
        this.be = space.backend();
        this.space = space;
        this.spec = spec;
        this.plan = plan;
        this.sgd = new MaskedMomentum(space, spec.sgd(), "gsm");
        this.prunable = sgd.prunable();
        long n = prunable.count();
        this.q = selectedCount(spec.ratio(), n);
        if (q < 1) {
            close();
            throw new IllegalArgumentException("--ratio " + spec.ratio() + " keeps floor(ratio * " + n + ") = 0 of the conv/linear weights; use a ratio of at least " + 1.0 / n);
        }
    }

    /** Q, the number of weights whose gradient a step keeps (more with ties, unless exact). */
    public long q() { return q; }

    /**
     * GSM's Q for {@code n} weights at this ratio: {@code floor(ratio * n)} (the product in
     * double, then floored). The one formula every GSM step uses (the core's and the DJL
     * adapter's); a Q below 1 selects nothing and is refused by its callers.
     */
    public static long selectedCount(double ratio, long n) { return (long) Math.floor(ratio * n); }

    /**
     * The weights GSM's final prune sets to zero of {@code n} at this ratio, the authors'
     * {@code k0 = floor(n * (1 - ratio))} (in double, floored); it keeps the other {@code n - k0}.
     */
    public static long finalPrunedCount(double ratio, long n) { return (long) Math.floor(n * (1 - ratio)); }

    @Override
    public void step(double lrFactor) {
        float lr = (float) (spec.sgd().lr() * lrFactor);
        MomentumSettings s = spec.sgd();
        PrunableTensors.Layer all = prunable.all();
        be.selects().kthLargest(Score.SALIENCY, all.w(), all.g(), null, q, prunable.scratch());
        if (spec.exactQ()) {
            Mask selected = sgd.mask();
            be.selects().keepTop(Score.SALIENCY, all.w(), all.g(), null, Ties.LOWEST_INDEX_FIRST, prunable.scratch(), selected.all());
            be.steps().maskedSgd(all.w(), all.g(), sgd.momentum(ParamGroup.WEIGHTS), selected.all(), lr, (float) s.momentum(), 0f,
                    (float) s.weightDecay(), s.nesterov(), sgd.firstStep(), false);
        } else {
            be.steps().gsm(all.w(), all.g(), sgd.momentum(ParamGroup.WEIGHTS), be.selects().threshold(prunable.scratch()), lr,
                    (float) s.momentum(), (float) s.weightDecay(), s.nesterov(), sgd.firstStep());
        }
        sgd.biasStep(lr);
        sgd.stepped();
        step++;
        Selection sel = be.selects().read(prunable.scratch());
        if (sel.nan() > 0) {
            throw new NonFiniteGradientException("GSM: " + sel.nan() + " conv/linear weights have a NaN score |g*w| at step " + step
                    + " (a NaN gradient or weight); the run stops: lower --lr or check the data");
        }
    }

    @Override
    public void endEpoch(int epoch) {
        if (epoch == plan.epochs() && spec.finalPrune() && !finalPruned) finalPrune();
    }

    /** The authors' magnitude prune to exactly the ratio (ties kept unless exact), then the pruned weights zeroed. */
    void finalPrune() {
        PrunableTensors.Layer all = prunable.all();
        long n = prunable.count();
        long k0 = finalPrunedCount(spec.ratio(), n);
        Mask mask = sgd.mask();
        be.selects().kthLargest(Score.MAGNITUDE, all.w(), null, null, n - k0, prunable.scratch());
        be.selects().keepTop(Score.MAGNITUDE, all.w(), null, null, spec.exactQ() ? Ties.LOWEST_INDEX_FIRST : Ties.KEEP_ALL,
                prunable.scratch(), mask.all());
        sgd.zeroPruned(space);
        finalPruned = true;
    }

    @Override
    public Optional<Mask> pruningMask() { return finalPruned ? Optional.of(sgd.mask()) : Optional.empty(); }

    @Override
    public String name() { return "gsm"; }

    @Override
    public long stateBytes() { return sgd.stateBytes(); }

    @Override
    public OptimizerState state() {
        Map<String, Double> scalars = new LinkedHashMap<>();
        sgd.putScalars(scalars);
        scalars.put("step", (double) step);
        scalars.put("final_pruned", finalPruned ? 1.0 : 0.0);
        Map<String, ParamBuffer> buffers = sgd.buffers();
        return new OptimizerState(buffers, sgd.masks(), scalars);
    }

    @Override
    public void restoreScalars(Map<String, Double> scalars) {
        double s = StateScalars.require(scalars, "step", "GSM");
        double f = StateScalars.require(scalars, "final_pruned", "GSM");
        if (s < 0 || s != Math.rint(s)) throw new IllegalArgumentException("GSM state: step must be a whole number >= 0, got " + s);
        if (f != 0 && f != 1) throw new IllegalArgumentException("GSM state: final_pruned must be 0 or 1, got " + f);
        sgd.restoreScalars(scalars, "GSM");
        step = (long) s;
        finalPruned = f == 1;
    }

    @Override
    public Map<String, Object> hyperparameters() {
        Map<String, Object> out = sgd.hyperparameters();
        out.put("gsm", Map.of("ratio", spec.ratio(), "q", q, "ties", spec.exactQ() ? "exactly Q, lowest index first" : "all kept (>= the Q-th)",
                "final_prune", spec.finalPrune()));
        return out;
    }

    @Override
    public void close() { sgd.close(); }
}
