package io.sparsestep.djl;

import io.sparsestep.backend.Tensor;

/**
 * What one parameter's steps on one device reuse, made at its first step and kept with its
 * {@link StepState}: the host slots of its weight and gradient, and backend tensors over the
 * state's own memory (its float buffers, its mask, the scratch of a per-tensor selection),
 * so a steady step makes no arena and no wrapper ({@link CoreOps#made()}).
 */
final class StepViews {
    private final StepState state;
    private final CoreOps ops;
    private final String name;
    private final HostFloats weight, gradient;
    private final Tensor[] buffers;
    private Tensor mask, selectScratch;

    StepViews(StepState state, CoreOps ops, String name) {
        this.state = state;
        this.ops = ops;
        this.name = name;
        this.weight = ops.hostSlot(name);
        this.gradient = ops.hostSlot(name + " gradient");
        this.buffers = new Tensor[state.bufferCount()];
    }

    /** Whether these views were made for this backend. */
    boolean of(CoreOps owner) { return ops == owner; }

    HostFloats weight() { return weight; }

    HostFloats gradient() { return gradient; }

    /** The state's float buffer i (gRDA's accumulator, the momentum) as a tensor, or null for a state without buffers. */
    Tensor buffer(int i) {
        if (buffers.length == 0) return null;
        if (buffers[i] == null) buffers[i] = ops.floats(state.buffer(i), name + " buffer " + i);
        return buffers[i];
    }

    /** The state's pruning mask as a u8 tensor of the parameter's size. */
    Tensor mask() {
        if (mask == null) mask = ops.bytes(state.mask(), state.size(), name + " mask");
        return mask;
    }

    /** Scratch for a selection over this parameter alone (GMP's per-tensor mask updates), allocated once. */
    Tensor selectScratch() {
        if (selectScratch == null) {
            long words = ops.backend().selects().scratchWords(state.size());
            selectScratch = ops.floats(ops.arena().allocate(words * Float.BYTES, 64), name + " selection scratch");
        }
        return selectScratch;
    }
}
