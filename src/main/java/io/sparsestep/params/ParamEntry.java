package io.sparsestep.params;

import java.util.Arrays;

/**
 * One trainable tensor's place in a {@link ParamLayout}: its name (as in
 * weights.safetensors: {@code fc1.weight}, {@code layer1.0.branch.conv1.weight}), shape,
 * optimizer group, and offset (in floats) into every parameter-shaped buffer.
 */
public record ParamEntry(String name, int[] shape, ParamGroup group, long offset, long size) {
    public ParamEntry {
        shape = shape.clone();
    }

    @Override
    public int[] shape() { return shape.clone(); }

    @Override
    public boolean equals(Object o) {
        return o instanceof ParamEntry e && name.equals(e.name) && Arrays.equals(shape, e.shape) && group == e.group
                && offset == e.offset && size == e.size;
    }

    @Override
    public int hashCode() { return name.hashCode() * 31 + Long.hashCode(offset); }

    @Override
    public String toString() { return name + Arrays.toString(shape) + " " + group.id() + " @" + offset; }
}
