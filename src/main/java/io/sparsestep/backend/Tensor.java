package io.sparsestep.backend;

import java.util.Arrays;

/**
 * A view into a {@link Buffer}: an offset (in floats) and a row-major shape. Views never
 * own memory; creating one allocates nothing on the backend. Layouts follow cuDNN's NCHW
 * and PyTorch's weight layouts (Linear [out,in], Conv [K,C,R,S]).
 */
public final class Tensor {
    private final Buffer buffer;
    private final long offset;
    private final int[] shape;
    private final long size;

    public Tensor(Buffer buffer, long offset, int... shape) {
        this.buffer = buffer;
        this.offset = offset;
        this.shape = shape.clone();
        long s = 1;
        for (int d : shape) {
            if (d < 0) throw new IllegalArgumentException("negative dimension in " + Arrays.toString(shape));
            s *= d;
        }
        this.size = s;
        if (offset < 0 || offset + size > buffer.words()) {
            throw new IllegalArgumentException("view [" + offset + ", " + (offset + size) + ") outside buffer '"
                    + buffer.label() + "' of " + buffer.words() + " words");
        }
    }

    public Buffer buffer() { return buffer; }
    public long offset() { return offset; }
    /** Number of elements. */
    public long size() { return size; }
    public int rank() { return shape.length; }
    public int dim(int i) { return shape[i < 0 ? shape.length + i : i]; }
    public int[] shape() { return shape.clone(); }
    public Backend backend() { return buffer.backend(); }

    /** Address of element 0 in bytes: host address (CPU) or device pointer (CUDA). */
    public long address() { return buffer.address() + 4L * offset; }

    /** The same memory with another shape of equal size. */
    public Tensor reshape(int... newShape) {
        long s = 1;
        for (int d : newShape) s *= d;
        if (s != size) throw new IllegalArgumentException("cannot reshape " + Arrays.toString(shape) + " to " + Arrays.toString(newShape));
        return new Tensor(buffer, offset, newShape);
    }

    /** The first {@code n} entries along dimension 0 (a smaller batch in a batch-sized region). */
    public Tensor firstRows(int n) {
        if (n == shape[0]) return this;
        if (n > shape[0]) throw new IllegalArgumentException("batch " + n + " > capacity " + shape[0]);
        int[] s = shape.clone();
        s[0] = n;
        return new Tensor(buffer, offset, s);
    }

    /** A flat range of this view. */
    public Tensor range(long start, int length) {
        if (start < 0 || start + length > size) throw new IllegalArgumentException("range outside view");
        return new Tensor(buffer, offset + start, length);
    }

    @Override
    public String toString() {
        return buffer.label() + "@" + offset + Arrays.toString(shape);
    }
}
