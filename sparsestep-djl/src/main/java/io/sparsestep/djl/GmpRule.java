package io.sparsestep.djl;

import io.sparsestep.backend.Backend;
import io.sparsestep.backend.SelectOps.Score;
import io.sparsestep.backend.SelectOps.Ties;
import io.sparsestep.backend.Tensor;
import io.sparsestep.optim.MomentumSettings;
import io.sparsestep.optim.PruneScope;
import io.sparsestep.optim.ZhuGuptaSchedule;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Gradual magnitude pruning (ALGORITHMS.md 4, the core's {@code Gmp} with its exact
 * threshold): before the update of step t (counted from 0) that the Zhu-Gupta schedule names,
 * each weight's mask is recomputed for {@code s_t}: {@code k = max(round_half_even(n*(1-s_t)), 1)}
 * kept, {@code |w| >=} the k-th largest (ties kept, TF-MOT's rule), by the core's radix select,
 * per tensor or over all trainable weights together (global: over a flat copy of the step,
 * {@link WholeStep}); the pruned weights become +0.0. The update is the core's fused
 * {@code StepOps.maskedSgd}: a pruned weight gets no gradient and is held at +0.0, weight decay
 * acts on the kept weights only. Biases and norm parameters: momentum SGD, no decay, never
 * masked. The mask is the ranking of the current (already masked) weights, so a pruned weight
 * re-enters only if the threshold falls to 0.
 */
final class GmpRule implements StepRule {
    private final double momentum, weightDecay;
    private final boolean nesterov;
    private final ZhuGuptaSchedule schedule;
    private final PruneScope scope;
    private final CoreOps ops;
    /** Biases and norm parameters: momentum SGD, no decay (the core's fused SGD step; also the momentum buffer's count and start). */
    private final SgdRule biases;

    GmpRule(double momentum, double weightDecay, boolean nesterov, ZhuGuptaSchedule schedule, PruneScope scope, CoreOps ops) {
        // the core's rules and messages; lr comes from the tracker at each step, 1 stands in for it here
        new MomentumSettings(1, momentum, weightDecay, nesterov);
        if (schedule == null || scope == null) throw new IllegalArgumentException("GMP needs a schedule and a scope (layer or global)");
        this.momentum = momentum;
        this.weightDecay = weightDecay;
        this.nesterov = nesterov;
        this.schedule = schedule;
        this.scope = scope;
        this.ops = ops;
        this.biases = new SgdRule(momentum, 0, 0, nesterov);
    }

    @Override
    public String describe() {
        return "GMP sparsity " + schedule.initialSparsity() + "->" + schedule.finalSparsity() + " steps " + schedule.beginStep() + ".."
                + schedule.endStep() + " every " + schedule.frequency() + " scope=" + scope.option() + " momentum=" + momentum
                + " weight decay=" + weightDecay + " nesterov=" + nesterov;
    }

    @Override
    public int bufferCount() { return biases.bufferCount(); }

    @Override
    public boolean masked() { return true; }

    @Override
    public void start(StepState state, MemorySegment w) { biases.start(state, w); } // a new mask keeps everything

    @Override
    public void step(MemorySegment w, MemorySegment g, StepState state, float lr, long[] shape, boolean prunable) {
        if (!prunable) {
            biases.step(w, g, state, lr, shape, false);
            return;
        }
        Backend be = ops.backend();
        Tensor wt = ops.floats(w, "GMP w"), gt = ops.floats(g, "GMP g");
        Tensor mask = maskOf(state);
        long t = state.steps - 1;
        if (schedule.updatesAt(t)) { // per tensor here: a global update waits for the whole step
            try (Arena arena = Arena.ofConfined()) {
                Tensor scratch = ops.floats(arena.allocate(be.selects().scratchWords(state.size()) * Float.BYTES, 64), "selection scratch");
                select(wt, kept(state.size(), t), scratch, mask);
            }
            be.masks().apply(mask, wt);
        }
        be.steps().maskedSgd(wt, gt, momentumOf(state), mask, lr, (float) momentum, 0f, (float) weightDecay, nesterov, state.steps == 1, true);
    }

    @Override
    public boolean waitsForWholeStep(StepState state) {
        return scope == PruneScope.GLOBAL && schedule.updatesAt(state.steps - 1);
    }

    @Override
    public void stepWhole(WholeStep step, UpdatePaths paths) {
        Backend be = ops.backend();
        FlatWeights flat = step.flat();
        select(flat.weights(), kept(flat.count(), step.steps() - 1), flat.scratch(), flat.mask());
        step.forEach(ops, paths, (s, w) -> {
            be.download(step.mask(s), s.state().mask());
            Tensor mask = maskOf(s.state());
            be.masks().apply(mask, w);
            be.steps().maskedSgd(w, step.gradient(s), momentumOf(s.state()), mask, s.lr(), (float) momentum, 0f, (float) weightDecay,
                    nesterov, s.state().steps == 1, true);
        });
    }

    /** Weights kept of {@code n} at step t: TF-MOT's {@code max(round_half_even(n*(1-s_t)), 1)}, as the core's Gmp. */
    private long kept(long n, long t) {
        return Math.max((long) Math.rint(n * (1 - schedule.sparsityAt(t))), 1);
    }

    /** mask = |w| >= the k-th largest |w| (ties kept). */
    private void select(Tensor w, long k, Tensor scratch, Tensor mask) {
        ops.backend().selects().kthLargest(Score.MAGNITUDE, w, null, null, k, scratch);
        ops.backend().selects().keepTop(Score.MAGNITUDE, w, null, null, Ties.KEEP_ALL, scratch, mask);
    }

    private Tensor maskOf(StepState state) {
        return ops.bytes(state.mask(), state.size(), "GMP mask");
    }

    private Tensor momentumOf(StepState state) {
        return state.bufferCount() == 0 ? null : ops.floats(state.buffer(0), "GMP momentum");
    }
}
