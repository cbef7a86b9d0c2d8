package io.sparsestep.optim;

import io.sparsestep.backend.Backend;
import io.sparsestep.backend.Tensor;
import io.sparsestep.params.Mask;
import io.sparsestep.params.ParamEntry;
import io.sparsestep.params.ParamGroup;
import io.sparsestep.params.ParamLayout;
import io.sparsestep.params.ParamSpace;

import java.util.ArrayList;
import java.util.List;

/**
 * The prunable (conv and linear) weights of a space, each as views of its values,
 * gradients and mask, plus the whole group as one range: what a pruning rule selects over,
 * per layer or globally. Also the selection scratch, allocated once for the largest range.
 */
final class PrunableTensors implements AutoCloseable {
    /** One prunable tensor: its entry, its position in the group (for counter-based random numbers), and its views. */
    record Layer(ParamEntry entry, long indexBase, Tensor w, Tensor g, Tensor mask) {
        long size() { return entry.size(); }
    }

    private final Backend be;
    private final List<Layer> layers = new ArrayList<>();
    private final Layer all;
    private final Tensor scratch;

    PrunableTensors(ParamSpace space, Mask mask) {
        this.be = space.backend();
        ParamLayout.Range range = space.layout().group(ParamGroup.WEIGHTS);
        if (range == null || range.length() == 0) throw new IllegalArgumentException("the model has no conv or linear weights to prune");
        for (ParamEntry e : space.layout().entries()) {
            if (e.group() != ParamGroup.WEIGHTS) continue;
            layers.add(new Layer(e, e.offset() - range.offset(), space.values().of(e).reshape(Math.toIntExact(e.size())),
                    space.grads().of(e).reshape(Math.toIntExact(e.size())), mask.of(e.name())));
        }
        ParamEntry whole = ParamEntry.at("(all conv/linear weights)", new int[]{Math.toIntExact(range.length())}, ParamGroup.WEIGHTS, range.offset());
        this.all = new Layer(whole, 0, space.values().group(ParamGroup.WEIGHTS), space.grads().group(ParamGroup.WEIGHTS), mask.all());
        long words = be.selects().scratchWords(range.length());
        this.scratch = new Tensor(be.allocate(words, "selection scratch"), 0, Math.toIntExact(words));
    }

    List<Layer> layers() { return layers; }

    /** The whole group as one range. */
    Layer all() { return all; }

    /** The layers a rule of {@code scope} works on: each tensor, or the whole group. */
    List<Layer> scoped(PruneScope scope) { return scope == PruneScope.LAYER ? layers : List.of(all); }

    Tensor scratch() { return scratch; }

    long count() { return all.size(); }

    @Override
    public void close() { scratch.buffer().close(); }
}
