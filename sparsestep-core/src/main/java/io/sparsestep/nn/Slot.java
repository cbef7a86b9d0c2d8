package io.sparsestep.nn;

import io.sparsestep.backend.Tensor;

/**
 * A place a layer asked for while planning, filled with a {@link Tensor} view once the
 * network's flat buffers exist. Layers keep slots, not tensors, because planning happens
 * before any memory is allocated.
 */
public final class Slot {
    private final int[] shape;
    private Tensor tensor;

    Slot(int... shape) { this.shape = shape.clone(); }

    public int[] shape() { return shape.clone(); }

    public long size() {
        long s = 1;
        for (int d : shape) s *= d;
        return s;
    }

    void bind(Tensor t) {
        if (tensor != null) throw new IllegalStateException("slot bound twice");
        tensor = t;
    }

    /** The bound view. */
    public Tensor get() {
        if (tensor == null) throw new IllegalStateException("network not built yet");
        return tensor;
    }

    /** The first {@code n} samples of a batch-sized slot. */
    public Tensor rows(int n) { return get().firstRows(n); }
}
