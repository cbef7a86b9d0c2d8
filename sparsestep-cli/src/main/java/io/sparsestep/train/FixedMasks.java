package io.sparsestep.train;

import io.sparsestep.data.Datasets;
import io.sparsestep.nn.Architecture;
import io.sparsestep.nn.ModelGraph;
import io.sparsestep.nn.Models;
import io.sparsestep.nn.Network;
import io.sparsestep.optim.FixedMaskSgd;
import io.sparsestep.optim.FixedMaskSpec;
import io.sparsestep.optim.Optimizer;
import io.sparsestep.params.Mask;
import io.sparsestep.train.masks.LayerMask;
import io.sparsestep.train.masks.RunMask;

import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.BitSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The mask of a {@link FixedMaskSpec} run ({@code --mask-from}): read with {@link RunMask}
 * (a masked method's {@code mask.prune.*} tensors, else the nonzero pattern of the conv/linear
 * weights), checked against the model the run trains before anything is loaded, then
 * written into the optimizer's mask and applied to the weights before the first step.
 */
public final class FixedMasks {
    private FixedMasks() {}

    /**
     * The mask {@code cfg} trains under, checked against its model and architecture: the file
     * must hold exactly the tensors (names and shapes) this network has, and mask every
     * conv/linear weight. Empty when the method is not fixed-mask or keeps everything.
     */
    public static Optional<RunMask> check(RunConfig cfg) {
        if (!(cfg.method() instanceof FixedMaskSpec f) || !f.hasMask()) return Optional.empty();
        RunMask mask = RunMask.read(Path.of(f.maskFrom()));
        requireSameModel(mask, cfg.architecture(), Datasets.shape(cfg.dataset()), "--mask-from " + f.maskFrom());
        return Optional.of(mask);
    }

    /** Refuses {@code mask} unless it is of {@code arch} on data of {@code shape}; {@code what} names the file in the line. */
    public static void requireSameModel(RunMask mask, Architecture arch, Datasets.Shape shape, String what) {
        int[] input = shape.input();
        ModelGraph graph = ModelGraph.of(Models.create(arch, input, shape.classes()), input);
        Map<String, List<Integer>> ours = new LinkedHashMap<>();
        for (ModelGraph.TensorSpec t : graph.parameters()) ours.put(t.name(), shapeOf(t.shape()));
        for (ModelGraph.TensorSpec t : graph.states()) ours.put(t.name(), shapeOf(t.shape()));
        String model = arch.model() + (arch.isDefault() ? "" : " with other widths");
        for (Map.Entry<String, List<Integer>> t : ours.entrySet()) {
            List<Integer> theirs = mask.tensors().get(t.getKey());
            if (theirs == null) {
                throw new IllegalArgumentException(what + ": has no tensor '" + t.getKey() + "', which " + model
                        + " has; is it a mask of another model?");
            }
            if (!theirs.equals(t.getValue())) {
                throw new IllegalArgumentException(what + ": tensor '" + t.getKey() + "' has shape " + theirs + " there, " + model
                        + " on " + Arrays.toString(input) + " has " + t.getValue() + "; is it a mask of another model or dataset?");
            }
        }
        for (String name : mask.tensors().keySet()) {
            if (!ours.containsKey(name)) {
                throw new IllegalArgumentException(what + ": holds a tensor '" + name + "' that " + model + " has not; is it a mask of another model?");
            }
        }
        List<String> masked = mask.layers().stream().map(LayerMask::parameter).toList();
        List<String> prunable = graph.parameters().stream().filter(t -> RunMask.isConvOrLinearWeight(t.name(), t.shape()))
                .map(ModelGraph.TensorSpec::name).toList();
        if (!masked.equals(prunable)) {
            throw new IllegalArgumentException(what + ": masks " + masked + ", but the conv/linear weights are " + prunable
                    + "; the file is damaged or not a sparsestep run");
        }
    }

    /**
     * Writes {@code cfg}'s mask into {@code opt} and zeroes the weights it prunes (a new
     * run, before the first step; a resumed one restores its mask from the checkpoint).
     * Nothing happens unless the method is fixed-mask with a mask.
     */
    static void loadInto(RunConfig cfg, Network net, Optimizer opt) {
        Optional<RunMask> mask = check(cfg);
        if (mask.isEmpty()) return;
        FixedMaskSgd fixed = (FixedMaskSgd) opt;
        Mask target = fixed.pruningMask().orElseThrow();
        for (LayerMask layer : mask.get().layers()) {
            byte[] bytes = new byte[Math.toIntExact(layer.size())];
            BitSet kept = layer.kept();
            for (int i = kept.nextSetBit(0); i >= 0; i = kept.nextSetBit(i + 1)) bytes[i] = 1;
            net.backend().upload(MemorySegment.ofArray(bytes), target.of(layer.parameter()));
        }
        fixed.applyMask();
    }

    private static List<Integer> shapeOf(int[] shape) { return Arrays.stream(shape).boxed().toList(); }
}
