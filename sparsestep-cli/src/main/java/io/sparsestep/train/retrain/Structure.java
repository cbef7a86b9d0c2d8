package io.sparsestep.train.retrain;

import io.sparsestep.data.Datasets;
import io.sparsestep.nn.Architecture;
import io.sparsestep.nn.ModelCost;
import io.sparsestep.nn.ModelGraph;
import io.sparsestep.nn.Models;
import io.sparsestep.train.masks.LayerMask;
import io.sparsestep.train.masks.RunMask;

import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * A pruned network's structure: its architecture (the widths `shrink` or {@code --widths}
 * gave it) and its mask over the conv/linear weights ({@link RunMask}: a masked method's
 * {@code mask.prune.*}, else the exact zeros; one that prunes nothing leaves only the
 * architecture). {@code mask} is null for an architecture alone (keep everything).
 *
 * <p>Its cost counts what the pruned network still computes, in Li et al.'s convention
 * ({@link ModelCost}: multiply-adds of the conv and linear layers): every kept weight of a
 * layer costs that layer's multiply-adds per weight (H_out * W_out for a conv, 1 for a
 * linear layer), so a structure without a mask costs {@code ModelCost.macs()} exactly, and
 * a mask counts only the multiply-adds of its non-zero weights, as Rethinking's
 * weight-level {@code count_flops.py} does for unstructured pruning (ALGORITHMS.md 8.1).
 */
public record Structure(Architecture architecture, RunMask mask) {
    /** Multiply-adds per sample on data of {@code shape}: the kept weights' (see the class comment). */
    public long macs(Datasets.Shape shape) {
        ModelGraph graph = graph(architecture, shape);
        Map<String, ModelCost.LayerCost> cost = ModelCost.of(graph).layers().stream()
                .collect(Collectors.toMap(ModelCost.LayerCost::name, Function.identity()));
        Map<String, LayerMask> masks = mask == null ? Map.of()
                : mask.layers().stream().collect(Collectors.toMap(LayerMask::parameter, Function.identity()));
        long total = 0;
        for (ModelGraph.Weighted w : graph.weighted()) {
            long weights = java.util.Arrays.stream(w.weightShape()).asLongStream().reduce(1, Math::multiplyExact), macs = cost.get(w.name()).macs();
            LayerMask m = masks.get(w.name() + ".weight");
            // a conv weight is used once per output position, a linear weight once: macs is a multiple of weights
            total += m == null ? macs : macs / weights * m.keptCount();
        }
        return total;
    }

    /** Trainable parameters the structure keeps: the architecture's, less the weights its mask prunes. */
    public long parameters(Datasets.Shape shape) {
        long all = ModelCost.of(graph(architecture, shape)).parameters();
        return mask == null ? all : all - (mask.size() - mask.kept());
    }

    /** The share of conv/linear weights the mask prunes (0 without a mask). */
    public double maskSparsity() { return mask == null ? 0 : mask.sparsity(); }

    private static ModelGraph graph(Architecture a, Datasets.Shape shape) {
        return ModelGraph.of(Models.create(a, shape.input(), shape.classes()), shape.input());
    }
}
