package io.sparsestep.optim;

import io.sparsestep.params.ParamSpace;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * DropPruning (Jia et al. 2018, ALGORITHMS.md 7; the authors' code is not public, so every
 * knob is our documented choice [G]): iterative prune and retrain. At the start of every
 * --prune-every-th epoch after the first, a round: the candidates are the --alpha share of
 * the still-kept weights with the smallest |w| (per layer or global); each is dropped with
 * probability --p, and each weight pruned before the round is restored with probability
 * --q (value 0, or with --restore last its value when dropped). A round never takes the
 * kept count below the target (the candidates are capped at kept - target). The last
 * --final-epochs epochs fine-tune a fixed mask after a deterministic magnitude prune to
 * exactly the target, so the run ends at --sparsity. Draws are Philox4x32-10, keyed by the
 * run's seed, counter (weight index, round): bitwise alike on CPU and GPU.
 */
public record DropPruningSpec(MomentumSettings sgd, double sparsity, double alpha, double p, double q, int pruneEvery, int finalEpochs,
                              PruneScope scope, boolean restoreLast) implements MethodSpec {
    /** --final-epochs' default: a quarter of --epochs (rounded down, at least 1). */
    public static final int AUTO_FINAL = -1;

    public static final Method METHOD = new Method("droppruning", "DropPruning",
            "iterative pruning with stochastic drop-out of the smallest |w| and drop-in of pruned weights",
            "conv/linear weights (biases and batch norm are never pruned)",
            MomentumOptions.with("0.01", "0.9", "0",
                    MethodOption.number("--sparsity", "target share of conv/linear weights removed, in [0, 1); kept = round_half_even((1-s) * n)", "0.9"),
                    MethodOption.number("--alpha", "candidates per round: this share of the kept weights with the smallest |w|, in (0, 1]", "0.3"),
                    MethodOption.number("--p", "drop-out probability of a candidate, in [0, 1]", "0.9"),
                    MethodOption.number("--q", "drop-in probability of a pruned weight, in [0, 1]", "0.01"),
                    MethodOption.number("--prune-every", "epochs between rounds >= 1 (the first round starts epoch 1 + this)", "1"),
                    MethodOption.number("--final-epochs", "epochs of fine-tuning after the final prune to exactly the target; -1: a quarter of --epochs", "-1"),
                    MethodOption.choice("--scope", "rank weights over all conv/linear weights or per layer", "global", "global", "layer"),
                    MethodOption.choice("--restore", "value of a restored weight: zero, or last (its value when dropped)", "zero", "zero", "last")),
            v -> new DropPruningSpec(MomentumOptions.read(v), v.number("--sparsity"), v.number("--alpha"), v.number("--p"), v.number("--q"),
                    Math.toIntExact(v.whole("--prune-every")), Math.toIntExact(v.whole("--final-epochs")), PruneScope.of(v.choice("--scope")),
                    v.choice("--restore").equals("last")));

    public DropPruningSpec {
        if (sgd == null || scope == null) throw new IllegalArgumentException("DropPruning needs its SGD settings and a scope");
        if (!(sparsity >= 0 && sparsity < 1)) throw new IllegalArgumentException("--sparsity must be in [0, 1), got " + sparsity);
        if (!(alpha > 0 && alpha <= 1)) throw new IllegalArgumentException("--alpha must be in (0, 1], got " + alpha);
        if (!(p >= 0 && p <= 1)) throw new IllegalArgumentException("--p must be a probability in [0, 1], got " + p);
        if (!(q >= 0 && q <= 1)) throw new IllegalArgumentException("--q must be a probability in [0, 1], got " + q);
        if (pruneEvery < 1) throw new IllegalArgumentException("--prune-every must be >= 1 epoch, got " + pruneEvery);
        if (finalEpochs < AUTO_FINAL) throw new IllegalArgumentException("--final-epochs must be >= 0, or -1 for a quarter of --epochs, got " + finalEpochs);
    }

    /** Fine-tuning epochs at the end for a run of {@code plan}. */
    public int finalEpochs(TrainingPlan plan) {
        int f = finalEpochs == AUTO_FINAL ? Math.max(1, plan.epochs() / 4) : finalEpochs;
        if (f >= plan.epochs()) {
            throw new IllegalArgumentException("--final-epochs " + f + " leaves no epoch for pruning rounds in a run of " + plan.epochs()
                    + " epochs; use at most " + (plan.epochs() - 1));
        }
        return f;
    }

    @Override
    public Method method() { return METHOD; }

    @Override
    public double lr() { return sgd.lr(); }

    @Override
    public DropPruning build(ParamSpace space, TrainingPlan plan) { return new DropPruning(space, this, plan, finalEpochs(plan)); }

    @Override
    public Map<String, String> options() {
        Map<String, String> out = new LinkedHashMap<>();
        MomentumOptions.put(out, sgd);
        out.put("--sparsity", Double.toString(sparsity));
        out.put("--alpha", Double.toString(alpha));
        out.put("--p", Double.toString(p));
        out.put("--q", Double.toString(q));
        out.put("--prune-every", Integer.toString(pruneEvery));
        out.put("--final-epochs", Integer.toString(finalEpochs));
        out.put("--scope", scope.option());
        out.put("--restore", restoreLast ? "last" : "zero");
        return out;
    }
}
