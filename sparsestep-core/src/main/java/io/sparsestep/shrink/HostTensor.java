package io.sparsestep.shrink;

import java.util.Arrays;

/** A named tensor's shape and float32 values (row-major) in the Java heap: what the shrink reads and writes. */
public record HostTensor(int[] shape, float[] values) {
    public HostTensor {
        shape = shape.clone();
        long n = 1;
        for (int d : shape) n *= d;
        if (n != values.length) {
            throw new IllegalArgumentException("tensor of shape " + Arrays.toString(shape) + " needs " + n + " values, got " + values.length);
        }
    }

    @Override
    public int[] shape() { return shape.clone(); }

    /** Whether elements [from, from + count) are all exactly zero (either sign). */
    boolean zeroRange(int from, int count) {
        for (int i = from; i < from + count; i++) if (values[i] != 0f) return false;
        return true;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof HostTensor t && Arrays.equals(shape, t.shape) && Arrays.equals(values, t.values);
    }

    @Override
    public int hashCode() { return 31 * Arrays.hashCode(shape) + Arrays.hashCode(values); }

    @Override
    public String toString() { return "HostTensor" + Arrays.toString(shape); }
}
