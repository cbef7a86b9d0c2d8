package io.sparsestep.djl;

import io.sparsestep.backend.Backend;
import io.sparsestep.backend.SelectOps.Score;
import io.sparsestep.backend.SelectOps.Selection;
import io.sparsestep.backend.SelectOps.Ties;
import io.sparsestep.backend.Tensor;
import io.sparsestep.optim.Gsm;
import io.sparsestep.optim.GsmSpec;
import io.sparsestep.optim.MomentumSettings;
import io.sparsestep.optim.NonFiniteGradientException;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

/**
 * GSM, Global Sparse Momentum SGD (ALGORITHMS.md 3, the core's {@code Gsm}): at every step
 * only the {@code Q = floor(ratio * N)} ({@link Gsm#selectedCount}) weights with the largest {@code |g*w|} over all N
 * trainable weights of the block get their gradient (ties at the Q-th value all kept, or
 * exactly Q, ties by flat index lowest first, with exact Q), then momentum SGD (dampening 0,
 * PyTorch's first step) with weight decay on the weights only; biases and norm parameters
 * take plain momentum SGD without decay. The selection is the core's radix select over a
 * flat copy of the step ({@link WholeStep}); the step is the core's fused {@code StepOps.gsm}
 * ({@code StepOps.maskedSgd} without zeroing for exact Q) on DJL's memory. After training,
 * {@link #finalPrune} is the authors' magnitude prune to exactly the ratio.
 */
final class GsmRule implements StepRule {
    private final double momentum, weightDecay, ratio;
    private final boolean nesterov, exactQ;
    private final CoreOps ops;
    /** Biases and norm parameters: momentum SGD, no decay (the core's fused SGD step; also the momentum buffer's count and start). */
    private final SgdRule biases;

    GsmRule(double momentum, double weightDecay, boolean nesterov, double ratio, boolean exactQ, CoreOps ops) {
        // the core's rules and messages; lr comes from the tracker at each step, 1 stands in for it here
        new GsmSpec(new MomentumSettings(1, momentum, weightDecay, nesterov), ratio, exactQ, true);
        this.momentum = momentum;
        this.weightDecay = weightDecay;
        this.nesterov = nesterov;
        this.ratio = ratio;
        this.exactQ = exactQ;
        this.ops = ops;
        this.biases = new SgdRule(momentum, 0, 0, nesterov);
    }

    @Override
    public String describe() {
        return "GSM ratio=" + ratio + " exact Q=" + exactQ + " momentum=" + momentum + " weight decay=" + weightDecay + " nesterov=" + nesterov;
    }

    @Override
    public int bufferCount() { return biases.bufferCount(); }

    @Override
    public void start(StepState state, MemorySegment w) { biases.start(state, w); }

    /** A bias or norm parameter (weights wait for the whole step): momentum SGD, no decay, never masked. */
    @Override
    public void step(StepViews v, StepState state, float lr, long[] shape, boolean prunable) {
        biases.step(v, state, lr, shape, false);
    }

    @Override
    public boolean waitsForWholeStep(long step) { return true; }

    /** GSM ranks the trainable weights together, and its Q must select at least one of them. */
    @Override
    public void checkWeights(List<ParameterRoles.Role> trainable) {
        long n = WholeStep.requireWeights(trainable, "GSM");
        long q = Gsm.selectedCount(ratio, n);
        if (q < 1) {
            throw new IllegalArgumentException("optRatio(" + ratio + ") gives GSM Q = floor(ratio * N) = floor(" + ratio + " * " + n
                    + ") = " + q + " of the block's N = " + n + " trainable weights; Q must be >= 1: use optRatio(" + 1.0 / n
                    + ") or more (at most 1)");
        }
    }

    /**
     * Selects over the flat copy, refuses a NaN score before anything is written, then steps
     * every weight where DJL keeps it (Q was checked by {@link #checkWeights}).
     */
    @Override
    public void stepWhole(WholeStep step, UpdatePaths paths) {
        FlatWeights flat = step.flat();
        Backend be = ops.backend();
        long q = Gsm.selectedCount(ratio, flat.count());
        be.selects().kthLargest(Score.SALIENCY, flat.weights(), flat.gradients(), null, q, flat.scratch());
        Selection selection = be.selects().read(flat.scratch());
        if (selection.nan() > 0) {
            throw new NonFiniteGradientException("GSM: " + selection.nan() + " weights have a NaN score |g*w| at step " + step.steps()
                    + " (a NaN gradient or weight); nothing was stepped: lower the learning rate or check the data");
        }
        if (exactQ) {
            be.selects().keepTop(Score.SALIENCY, flat.weights(), flat.gradients(), null, Ties.LOWEST_INDEX_FIRST, flat.scratch(), flat.mask());
            step.forEach(paths, (s, v, w) -> be.steps().maskedSgd(w, step.gradient(s), v.buffer(0), step.mask(s), s.lr(),
                    (float) momentum, 0f, (float) weightDecay, nesterov, s.state().steps == 1, false));
        } else {
            Tensor threshold = flat.threshold();
            step.forEach(paths, (s, v, w) -> be.steps().gsm(w, step.gradient(s), v.buffer(0), threshold, s.lr(),
                    (float) momentum, (float) weightDecay, nesterov, s.state().steps == 1));
        }
    }

    /**
     * The authors' final prune (the core's {@code Gsm.finalPrune}) of {@code weights} as the
     * block holds them: over all of them, {@code k0 = floor(N*(1-ratio))} ({@link Gsm#finalPrunedCount}),
     * keep the weights with {@code |w| >=} the (N-k0)-th largest (ties kept; exactly N-k0,
     * lowest flat index first, with exact Q); the others become +0.0 in DJL's arrays. Returns the weights kept.
     */
    long finalPrune(List<ParameterRoles.Role> weights) {
        FlatWeights flat = FlatWeights.of(weights, false, ops);
        List<HostFloats> slots = new ArrayList<>();
        for (ParameterRoles.Role r : weights) {
            HostFloats w = ops.hostSlot(r.name()).load(r.parameter().getArray());
            flat.putWeights(r.parameter().getId(), w.segment(), r.parameter().getArray().size());
            slots.add(w);
        }
        Backend be = ops.backend();
        long n = flat.count();
        long k0 = Gsm.finalPrunedCount(ratio, n);
        be.selects().kthLargest(Score.MAGNITUDE, flat.weights(), null, null, n - k0, flat.scratch());
        be.selects().keepTop(Score.MAGNITUDE, flat.weights(), null, null, exactQ ? Ties.LOWEST_INDEX_FIRST : Ties.KEEP_ALL, flat.scratch(),
                flat.mask());
        for (int i = 0; i < weights.size(); i++) {
            ParameterRoles.Role r = weights.get(i);
            be.masks().apply(flat.maskOf(r.parameter().getId()), slots.get(i).tensor());
            slots.get(i).writeBack();
        }
        return be.masks().countKept(flat.mask());
    }
}
