package io.sparsestep.optim;

import io.sparsestep.params.ParamBuffer;

import java.util.Map;

/**
 * What an optimizer carries from one step to the next, for checkpoints: its state buffers
 * (laid out like the parameters, e.g. gRDA's accumulator, SGD's momentum), as live views,
 * and its scalars (gRDA's step count and per-group threshold, SGD's first-step flag), as a
 * copy. A resumed run writes the buffers' contents back through {@link #buffers()} and the
 * scalars through {@link Optimizer#restoreScalars}.
 */
public record OptimizerState(Map<String, ParamBuffer> buffers, Map<String, Double> scalars) {
    public OptimizerState {
        buffers = Map.copyOf(buffers);
        scalars = Map.copyOf(scalars);
    }
}
