package io.sparsestep.optim;

import io.sparsestep.params.ParamSpace;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One-shot magnitude pruning, the baseline every comparison needs: train densely with
 * momentum SGD, prune once after --prune-epoch epochs to --sparsity with
 * torch.nn.utils.prune's global_unstructured L1 semantics (ALGORITHMS.md 5: exactly
 * k = round_half_even(sparsity * still-unpruned) of the still-unpruned entries removed, the
 * smallest |w|; ties at the boundary broken by index, the lowest-indexed pruned last), then
 * fine-tune the remaining epochs with the mask fixed. --prune-epoch 0 prunes the starting
 * weights (with --init-from: prune-then-fine-tune a trained model).
 */
public record MagnitudeSpec(MomentumSettings sgd, double sparsity, int pruneEpoch, PruneScope scope) implements MethodSpec {
    /** --prune-epoch's default: half of --epochs (rounded down). */
    public static final int AUTO_EPOCH = PruneEpoch.AUTO;

    public static final Method METHOD = new Method("magnitude", "one-shot magnitude",
            "train densely, prune the smallest |w| once (torch.nn.utils.prune global L1), fine-tune with the mask fixed",
            "conv/linear weights (biases and batch norm are never pruned)",
            MomentumOptions.with("0.01", "0.9", "0",
                    MethodOption.number("--sparsity", "share of conv/linear weights removed, in [0, 1); k = round_half_even(sparsity * n)", "0.9"),
                    MethodOption.number("--prune-epoch", "epochs trained before the prune (0: prune the starting weights); -1: half of --epochs", "-1"),
                    MethodOption.choice("--scope", "rank weights over all conv/linear weights (torch's global_unstructured) or per layer",
                            "global", "global", "layer")),
            v -> new MagnitudeSpec(MomentumOptions.read(v), v.number("--sparsity"), Math.toIntExact(v.whole("--prune-epoch")),
                    PruneScope.of(v.choice("--scope"))));

    public MagnitudeSpec {
        if (sgd == null || scope == null) throw new IllegalArgumentException("magnitude pruning needs its SGD settings and a scope");
        if (!(sparsity >= 0 && sparsity < 1)) throw new IllegalArgumentException("--sparsity must be in [0, 1), got " + sparsity);
        PruneEpoch.check(pruneEpoch);
    }

    /** The epoch count after which the prune happens, for a run of {@code plan}. */
    public int pruneAfter(TrainingPlan plan) {
        return PruneEpoch.resolve(pruneEpoch, plan);
    }

    @Override
    public Method method() { return METHOD; }

    @Override
    public double lr() { return sgd.lr(); }

    @Override
    public MagnitudePruning build(ParamSpace space, TrainingPlan plan) { return new MagnitudePruning(space, this, pruneAfter(plan)); }

    @Override
    public Map<String, String> options() {
        Map<String, String> out = new LinkedHashMap<>();
        MomentumOptions.put(out, sgd);
        out.put("--sparsity", Double.toString(sparsity));
        out.put("--prune-epoch", Integer.toString(pruneEpoch));
        out.put("--scope", scope.option());
        return out;
    }
}
