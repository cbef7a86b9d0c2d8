package io.sparsestep.optim;

import io.sparsestep.params.ParamSpace;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * L1-norm filter pruning (Li et al. 2017, as "Rethinking the Value of Network Pruning" codes
 * it, ALGORITHMS.md 8.2): in each conv layer, rank the output filters W[o, :, :, :] by
 * {@code sum |W[o]|} and keep the top m, {@code m = int(O * (1 - ratio))} (floored, as their
 * code, at least 1) or the count --keep gives for that layer; ties by index, lowest first.
 * One shot after --prune-epoch epochs (0 with --init-from: from trained weights), then the
 * pruned filters stay exactly zero while the rest fine-tunes; `shrink` then removes them.
 */
public record FilterPruningSpec(MomentumSettings sgd, double ratio, Map<String, Integer> keep, Set<String> skip, int pruneEpoch)
        implements MethodSpec {
    public static final Method METHOD = new Method("l1-filter", "L1 filter pruning",
            "one-shot pruning of whole conv output filters by their L1 norm (Li et al.), then fine-tuning with the filters fixed",
            "whole output filters of conv layers (linear layers, biases and batch norm are not pruned)",
            MomentumOptions.with("0.01", "0.9", "0",
                    MethodOption.number("--ratio", "share of filters pruned in each conv layer, in [0, 1); kept = int(O * (1 - ratio)), at least 1", "0.5"),
                    MethodOption.text("--keep", "filters kept per layer, overriding --ratio there: conv1=32,conv2=64 (layer names as in metrics.csv)"),
                    MethodOption.text("--skip", "conv layers left dense: conv1,conv8"),
                    MethodOption.number("--prune-epoch", "epochs trained before the prune (0: prune the starting weights, e.g. --init-from); -1: half of --epochs", "-1")),
            v -> new FilterPruningSpec(MomentumOptions.read(v), v.number("--ratio"), parseKeep(v.text("--keep")), parseSkip(v.text("--skip")),
                    Math.toIntExact(v.whole("--prune-epoch"))));

    public FilterPruningSpec {
        if (sgd == null) throw new IllegalArgumentException("L1 filter pruning needs its SGD settings");
        if (!(ratio >= 0 && ratio < 1)) throw new IllegalArgumentException("--ratio must be in [0, 1), got " + ratio);
        PruneEpoch.check(pruneEpoch);
        keep = Map.copyOf(keep);
        skip = Set.copyOf(skip);
    }

    static Map<String, Integer> parseKeep(String text) {
        Map<String, Integer> out = new LinkedHashMap<>();
        if (text.isBlank()) return out;
        for (String part : text.split(",")) {
            String[] kv = part.trim().split("=");
            try {
                if (kv.length != 2) throw new NumberFormatException();
                int m = Integer.parseInt(kv[1].trim());
                if (m < 1) throw new NumberFormatException();
                if (out.put(kv[0].trim(), m) != null) throw new IllegalArgumentException("--keep names " + kv[0].trim() + " twice");
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("--keep must be layer=count pairs with counts >= 1 (conv1=32,conv2=64), got '" + part.trim() + "'");
            }
        }
        return out;
    }

    static Set<String> parseSkip(String text) {
        Set<String> out = new TreeSet<>();
        if (text.isBlank()) return out;
        for (String s : text.split(",")) if (!s.isBlank()) out.add(s.trim());
        return out;
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
    public FilterPruning build(ParamSpace space, TrainingPlan plan) { return new FilterPruning(space, this, pruneAfter(plan)); }

    @Override
    public Map<String, String> options() {
        Map<String, String> out = new LinkedHashMap<>();
        MomentumOptions.put(out, sgd);
        out.put("--ratio", Double.toString(ratio));
        StringBuilder k = new StringBuilder();
        new java.util.TreeMap<>(keep).forEach((layer, m) -> k.append(k.isEmpty() ? "" : ",").append(layer).append('=').append(m));
        out.put("--keep", k.toString());
        out.put("--skip", String.join(",", new TreeSet<>(skip)));
        out.put("--prune-epoch", Integer.toString(pruneEpoch));
        return out;
    }
}
