package io.sparsestep.train.io;

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
        if (data.byteSize() != elements * Float.BYTES) {
            throw new IllegalArgumentException("tensor of shape " + Arrays.toString(shape)
                    + " needs " + elements * Float.BYTES + " bytes of float32 data but the segment has "
                    + data.byteSize() + "; pass a segment of exactly that size");
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
            product = Math.multiplyExact(product, dim);
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
