package io.sparsestep.nn;

import java.util.ArrayList;
import java.util.List;

/**
 * Parameters and multiply-adds per sample of a model, layer by layer. The convention is Li
 * et al.'s (ALGORITHMS.md 8.2): the multiply-adds (MACs) of the conv and linear layers,
 * {@code k*k*c_in * c_out * H_out * W_out} for a conv and {@code in * out} for a linear
 * layer; bias additions, batch norm, ReLU, pooling and the residual sums are not counted.
 * {@link #flops()} is the other convention in use, two FLOPs per multiply-add; it is not
 * the Rethinking repo's {@code compute_flops.py}, which also adds biases, batch norm, ReLU
 * and pooling. Parameters are every trainable tensor (weights, biases, batch-norm scale and
 * shift), as the network counts them; running statistics are not parameters.
 */
public record ModelCost(List<LayerCost> layers) {
    /** One conv, linear or batch-norm layer: its multiply-adds per sample (0 for batch norm) and its parameters. */
    public record LayerCost(String name, long macs, long parameters) {}

    public ModelCost {
        layers = List.copyOf(layers);
    }

    public static ModelCost of(ModelGraph graph) {
        List<LayerCost> out = new ArrayList<>();
        for (ModelGraph.Op op : graph.ops()) {
            switch (op) {
                case ModelGraph.Conv c -> {
                    int[] y = graph.shape(c.output());
                    long macs = (long) c.kernel() * c.kernel() * c.inChannels() * c.outChannels() * y[1] * y[2];
                    out.add(new LayerCost(c.name(), macs, Layer.volume(c.weightShape()) + (c.bias() ? c.outChannels() : 0)));
                }
                case ModelGraph.Dense d -> out.add(new LayerCost(d.name(), (long) d.inFeatures() * d.outFeatures(),
                        (long) d.inFeatures() * d.outFeatures() + (d.bias() ? d.outFeatures() : 0)));
                case ModelGraph.Norm n -> out.add(new LayerCost(n.name(), 0, 2L * n.channels()));
                default -> {}
            }
        }
        return new ModelCost(out);
    }

    /** The cost of {@code arch} on per-sample input {@code input} with {@code classes} outputs. */
    public static ModelCost of(Architecture arch, int[] input, int classes) {
        return of(ModelGraph.of(Models.create(arch, input, classes), input));
    }

    /** Multiply-adds per sample. */
    public long macs() { return layers.stream().mapToLong(LayerCost::macs).sum(); }

    /** Floating-point operations per sample, counting a multiply-add as two. */
    public long flops() { return 2 * macs(); }

    public long parameters() { return layers.stream().mapToLong(LayerCost::parameters).sum(); }
}
