package io.sparsestep.optim;

import io.sparsestep.params.ParamBuffer;
import io.sparsestep.params.Mask;

import java.util.Map;

/**
 * What an optimizer carries from one step to the next, for checkpoints: its state buffers
 * (laid out like the parameters, e.g. gRDA's accumulator, SGD's momentum), as live views;
 * its pruning masks (a masked method's), as live masks; and its scalars (gRDA's step count
 * and per-group threshold, SGD's first-step flag), as a copy. A resumed run writes the
 * buffers' and masks' contents back through these views and the scalars through
 * {@link Optimizer#restoreScalars}.
 */
public record OptimizerState(Map<String, ParamBuffer> buffers, Map<String, Mask> masks, Map<String, Double> scalars) {
    public OptimizerState {
        buffers = Map.copyOf(buffers);
        masks = Map.copyOf(masks);
        scalars = Map.copyOf(scalars);
    }

    /** The state of an optimizer without masks. */
    public OptimizerState(Map<String, ParamBuffer> buffers, Map<String, Double> scalars) {
        this(buffers, Map.of(), scalars);
    }
}
