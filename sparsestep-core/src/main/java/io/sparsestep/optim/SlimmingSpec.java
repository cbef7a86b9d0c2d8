package io.sparsestep.optim;

import io.sparsestep.params.ParamSpace;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Network slimming (Liu et al. 2017, as "Rethinking the Value of Network Pruning" codes it,
 * ALGORITHMS.md 8.2): train with the L1 subgradient {@code s*sign(gamma)} added to the
 * gradient of every batch-norm scale; after --prune-epoch epochs collect all |gamma|
 * globally, {@code thr = sorted|gamma|[int(total * percent)]} (ascending, floored index),
 * keep the channels with {@code |gamma| > thr} (strict), then fine-tune without the penalty.
 * A pruned channel's gamma and beta and the conv filter feeding it are held at exactly 0, so
 * the channel outputs 0 and `shrink` can remove it. One channel per layer is always kept
 * (the largest |gamma|) [G: their code would build an empty layer].
 */
public record SlimmingSpec(MomentumSettings sgd, double penalty, double percent, int pruneEpoch) implements MethodSpec {
    public static final Method METHOD = new Method("slimming", "network slimming",
            "L1 penalty on batch-norm scales while training, then the channels with the smallest scales pruned globally",
            "batch-norm channels (their scale, shift and the conv filter feeding them); models without batch norm have nothing to prune",
            MomentumOptions.with("0.01", "0.9", "0",
                    MethodOption.number("--penalty", "L1 strength s on batch-norm scales (s*sign(gamma) added to their gradient), >= 0", "1e-4"),
                    MethodOption.number("--percent", "share of all batch-norm channels pruned, in [0, 1); thr = sorted|gamma|[int(total*percent)], keep > thr", "0.5"),
                    MethodOption.number("--prune-epoch", "epochs trained with the penalty before the prune (0: prune the starting weights); -1: half of --epochs", "-1")),
            v -> new SlimmingSpec(MomentumOptions.read(v), v.number("--penalty"), v.number("--percent"), Math.toIntExact(v.whole("--prune-epoch"))));

    public SlimmingSpec {
        if (sgd == null) throw new IllegalArgumentException("network slimming needs its SGD settings");
        if (!(penalty >= 0 && penalty < Double.POSITIVE_INFINITY)) throw new IllegalArgumentException("--penalty must be finite and >= 0, got " + penalty);
        if (!(percent >= 0 && percent < 1)) throw new IllegalArgumentException("--percent must be in [0, 1), got " + percent);
        PruneEpoch.check(pruneEpoch);
    }

    public int pruneAfter(TrainingPlan plan) {
        return PruneEpoch.resolve(pruneEpoch, plan);
    }

    @Override
    public Method method() { return METHOD; }

    @Override
    public double lr() { return sgd.lr(); }

    @Override
    public Slimming build(ParamSpace space, TrainingPlan plan) { return new Slimming(space, this, pruneAfter(plan)); }

    @Override
    public Map<String, String> options() {
        Map<String, String> out = new LinkedHashMap<>();
        MomentumOptions.put(out, sgd);
        out.put("--penalty", Double.toString(penalty));
        out.put("--percent", Double.toString(percent));
        out.put("--prune-epoch", Integer.toString(pruneEpoch));
        return out;
    }
}
