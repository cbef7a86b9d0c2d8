package io.sparsestep.djl;

import io.sparsestep.backend.Backend;
import io.sparsestep.backend.SelectOps.Score;
import io.sparsestep.backend.SelectOps.Ties;
import io.sparsestep.backend.Tensor;
import io.sparsestep.backend.cpu.CpuFusedSteps;
import io.sparsestep.optim.Gmp;
import io.sparsestep.optim.MomentumSettings;
import io.sparsestep.optim.PruneScope;
import io.sparsestep.optim.ZhuGuptaSchedule;

import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * Gradual magnitude pruning (ALGORITHMS.md 4, the core's {@code Gmp} with its exact
 * threshold): before the update of step t (counted from 0) that the Zhu-Gupta schedule names,
 * each weight's mask is recomputed for {@code s_t}: {@code k = max(round_half_even(n*(1-s_t)), 1)}
 * kept (the core's {@link Gmp#keptCount}), {@code |w| >=} the k-th largest (ties kept, TF-MOT's rule), by the core's radix select,
 * per tensor or over all trainable weights together (global: over a flat copy of the step,
 * {@link WholeStep}); the pruned weights become +0.0. The update is the core's fused
 * {@code StepOps.maskedSgd} (per tensor through its raw-memory entry {@code CpuFusedSteps.maskedSgdStep}): a pruned weight gets no gradient and is held at +0.0, weight decay
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
    public void step(StepViews v, StepState state, float lr, long[] shape, boolean prunable) {
        if (!prunable) {
            biases.step(v, state, lr, shape, false);
            return;
        }
        Backend be = ops.backend();
        Tensor w = v.weight().tensor();
        long t = state.steps - 1;
        if (schedule.updatesAt(t)) { // per tensor here: a global update waits for the whole step
            select(w, Gmp.keptCount(state.size(), schedule.sparsityAt(t)), v.selectScratch(), v.mask());
            be.masks().apply(v.mask(), w);
        }
        // on the gradient's segment: PyTorch hands each step's gradient over in fresh memory, a tensor over it would be made anew
        CpuFusedSteps.maskedSgdStep(v.weight().segment(), v.gradient().segment(), state.bufferCount() == 0 ? null : state.buffer(0),
                state.mask(), state.size(), lr, (float) momentum, 0f, (float) weightDecay, nesterov, state.steps == 1, true);
    }

    @Override
    public boolean waitsForWholeStep(long step) {
        return scope == PruneScope.GLOBAL && schedule.updatesAt(step - 1);
    }

    /** A global scope ranks the trainable weights together: there must be some. */
    @Override
    public void checkWeights(List<ParameterRoles.Role> trainable) {
        if (scope == PruneScope.GLOBAL) WholeStep.requireWeights(trainable, "GMP with optScope(GLOBAL)");
    }

    @Override
    public void stepWhole(WholeStep step, UpdatePaths paths) {
        Backend be = ops.backend();
        FlatWeights flat = step.flat();
        select(flat.weights(), Gmp.keptCount(flat.count(), schedule.sparsityAt(step.steps() - 1)), flat.scratch(), flat.mask());
        step.forEach(paths, (s, v, w) -> {
            be.download(step.mask(s), s.state().mask());
            be.masks().apply(v.mask(), w);
            be.steps().maskedSgd(w, step.gradient(s), v.buffer(0), v.mask(), s.lr(), (float) momentum, 0f, (float) weightDecay,
                    nesterov, s.state().steps == 1, true);
        });
    }

    /** mask = |w| >= the k-th largest |w| (ties kept). */
    private void select(Tensor w, long k, Tensor scratch, Tensor mask) {
        ops.backend().selects().kthLargest(Score.MAGNITUDE, w, null, null, k, scratch);
        ops.backend().selects().keepTop(Score.MAGNITUDE, w, null, null, Ties.KEEP_ALL, scratch, mask);
    }
}
