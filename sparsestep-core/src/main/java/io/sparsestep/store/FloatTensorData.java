package io.sparsestep.store;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * A named float32 tensor as stored in a checkpoint: its shape and its values, row-major,
 * in native byte order, in host memory ({@code data.byteSize() == 4 * product(shape)}).
 */
public record FloatTensorData(int[] shape, MemorySegment data) {
    public FloatTensorData {
        shape = shape.clone();
        long elements = elements(shape);
        // compared in floats: elements * 4 can overflow where the division cannot
        if (data.byteSize() % Float.BYTES != 0 || data.byteSize() / Float.BYTES != elements) {
            throw new IllegalArgumentException("tensor of shape " + Arrays.toString(shape)
                    + " needs " + elements + " floats (4 bytes each) but the segment has "
                    + data.byteSize() + " bytes; pass a segment of exactly that size");
        }
    }

    /** Number of floats: the product of the shape (1 for a scalar, shape {@code []}). */
    public long elements() {
        return elements(shape);
    }

    @Override
    public int[] shape() {
        return shape.clone();
    }

    private static long elements(int[] shape) {
        long product = 1;
        for (int dim : shape) {
            if (dim < 0) {
                throw new IllegalArgumentException("tensor shape " + Arrays.toString(shape)
                        + " has a negative dimension; dimensions must be >= 0");
            }
            try {
                product = Math.multiplyExact(product, dim);
            } catch (ArithmeticException e) {
                throw new IllegalArgumentException("tensor shape " + Arrays.toString(shape)
                        + " has more elements than a long can count; no memory could hold it");
            }
        }
        return product;
    }

    @Override
    public boolean equals(Object o) {
        // Identity of the memory, not its content: comparing contents is the caller's choice.
        return o instanceof FloatTensorData t && Arrays.equals(shape, t.shape) && data.equals(t.data);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(shape) + data.hashCode();
    }

    @Override
    public String toString() {
        return "FloatTensorData[shape=" + Arrays.toString(shape) + ", bytes=" + data.byteSize() + "]";
    }
}
