package io.sparsestep.nn;

import io.sparsestep.params.ParamGroup;

import java.util.Arrays;

/** A trainable tensor: its value and gradient live at the same offset of the params and grads buffers. */
public record Param(String name, int[] shape, ParamGroup group, Init init, int fanIn, Slot value, Slot grad) {
    public long size() { return value.size(); }

    @Override
    public String toString() { return name + Arrays.toString(shape) + " " + group.id(); }
}
