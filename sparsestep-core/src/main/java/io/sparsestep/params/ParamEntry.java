package io.sparsestep.params;

import java.util.Arrays;

/**
 * One trainable tensor's place in a {@link ParamLayout}: its name (as in
 * weights.safetensors: {@code fc1.weight}, {@code layer1.0.branch.conv1.weight}), shape,
 * optimizer group, offset (in floats) into every parameter-shaped buffer, and size (the
 * product of the shape).
 */
public record ParamEntry(String name, int[] shape, ParamGroup group, long offset, long size) {
    public ParamEntry {
        if (name == null || shape == null || group == null) {
            throw new IllegalArgumentException("a parameter entry needs a name, a shape and a group; got name " + name
                    + ", shape " + Arrays.toString(shape) + ", group " + group);
        }
        shape = shape.clone();
    }

    /**
     * A tensor at a given offset of memory laid out by someone else (an embedding
     * framework's flat buffers), its size computed from the shape: what
     * {@link ParamLayout#explicit} takes.
     */
    public static ParamEntry at(String name, int[] shape, ParamGroup group, long offset) {
        return new ParamEntry(name, shape, group, offset, shape == null ? 0 : elements(shape));
    }

    /** Number of elements of a shape (a dimension below 1 is refused by the layouts, not here). */
    static long elements(int[] shape) {
        long n = 1;
        for (int d : shape) n = Math.multiplyExact(n, d);
        return n;
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
