package io.sparsestep.optim;

import io.sparsestep.params.ParamSpace;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Gradual magnitude pruning (Zhu and Gupta 2017; the baseline of Gale et al. 2019,
 * ALGORITHMS.md 4): the cubic schedule from --initial-sparsity to --final-sparsity between
 * --begin-step and --end-step, a mask update every --frequency steps, per layer or global.
 * Exact threshold by default (TF-MOT: k = max(round_half_even(n*(1-s)), 1), keep |w| >= the
 * k-th largest, ties kept); the original histogram threshold (255 bins, smoothing 0.9, keep
 * strictly above, per layer, on the unmasked weights) with --threshold histogram. Pruned
 * weights get no gradient and stay exactly zero.
 */
public record GmpSpec(MomentumSettings sgd, double initialSparsity, double finalSparsity, long beginStep, long endStep, long frequency,
                      PruneScope scope, boolean histogram) implements MethodSpec {
    /** --end-step's default: the last mask update at three quarters of the run (aligned to the frequency). */
    public static final long AUTO_END = -1;

    public static final Method METHOD = new Method("gmp", "GMP",
            "gradual magnitude pruning (Zhu & Gupta): cubic sparsity ramp, smallest |w| masked every --frequency steps",
            "conv/linear weights (biases and batch norm are never pruned)",
            MomentumOptions.with("0.01", "0.9", "0",
                    MethodOption.number("--initial-sparsity", "sparsity s_i at --begin-step, in [0, final]", "0"),
                    MethodOption.number("--final-sparsity", "sparsity s_f at --end-step, in [0, 1)", "0.95"),
                    MethodOption.number("--begin-step", "first mask update (steps count from 0)", "0"),
                    MethodOption.number("--end-step", "last mask update; -1: the last multiple of --frequency before 3/4 of the run", "-1"),
                    MethodOption.number("--frequency", "steps between mask updates >= 1", "100"),
                    MethodOption.choice("--scope", "rank weights per layer (TF-MOT) or over all conv/linear weights", "layer", "layer", "global"),
                    MethodOption.choice("--threshold", "exact (TF-MOT: k-th largest, ties kept) or histogram (the original: 255 bins, "
                            + "smoothing 0.9, keep > threshold; per layer only)", "exact", "exact", "histogram")),
            v -> new GmpSpec(MomentumOptions.read(v), v.number("--initial-sparsity"), v.number("--final-sparsity"), v.whole("--begin-step"),
                    v.whole("--end-step"), v.whole("--frequency"), PruneScope.of(v.choice("--scope")),
                    v.choice("--threshold").equals("histogram")));

    public GmpSpec {
        if (sgd == null || scope == null) throw new IllegalArgumentException("GMP needs its SGD settings and a scope");
        if (!(finalSparsity >= 0 && finalSparsity < 1)) throw new IllegalArgumentException("--final-sparsity must be in [0, 1), got " + finalSparsity);
        if (!(initialSparsity >= 0 && initialSparsity <= finalSparsity)) {
            throw new IllegalArgumentException("--initial-sparsity must be in [0, --final-sparsity " + finalSparsity + "], got " + initialSparsity);
        }
        if (beginStep < 0) throw new IllegalArgumentException("--begin-step must be >= 0, got " + beginStep);
        if (endStep != AUTO_END && endStep <= beginStep) {
            throw new IllegalArgumentException("--end-step must be -1 (auto) or after --begin-step " + beginStep + ", got " + endStep);
        }
        if (frequency < 1) throw new IllegalArgumentException("--frequency must be >= 1 step, got " + frequency);
        if (histogram && scope == PruneScope.GLOBAL) {
            throw new IllegalArgumentException("--threshold histogram is per layer (as the original); use --scope layer or --threshold exact");
        }
    }

    /** The schedule for a run of {@code plan}: the automatic end step resolved. */
    public ZhuGuptaSchedule schedule(TrainingPlan plan) {
        long end = endStep;
        if (end == AUTO_END) {
            long span = (long) Math.floor(0.75 * plan.totalSteps()) - beginStep;
            end = beginStep + span / frequency * frequency;
            if (end <= beginStep) {
                throw new IllegalArgumentException("GMP: a run of " + plan.totalSteps() + " steps leaves no mask update after --begin-step "
                        + beginStep + " at --frequency " + frequency + " before 3/4 of the run; lower --frequency or set --end-step");
            }
        }
        return new ZhuGuptaSchedule(initialSparsity, finalSparsity, beginStep, end, frequency);
    }

    @Override
    public Method method() { return METHOD; }

    @Override
    public double lr() { return sgd.lr(); }

    @Override
    public Gmp build(ParamSpace space, TrainingPlan plan) { return new Gmp(space, this, schedule(plan)); }

    @Override
    public Map<String, String> options() {
        Map<String, String> out = new LinkedHashMap<>();
        MomentumOptions.put(out, sgd);
        out.put("--initial-sparsity", Double.toString(initialSparsity));
        out.put("--final-sparsity", Double.toString(finalSparsity));
        out.put("--begin-step", Long.toString(beginStep));
        out.put("--end-step", Long.toString(endStep));
        out.put("--frequency", Long.toString(frequency));
        out.put("--scope", scope.option());
        out.put("--threshold", histogram ? "histogram" : "exact");
        return out;
    }
}
