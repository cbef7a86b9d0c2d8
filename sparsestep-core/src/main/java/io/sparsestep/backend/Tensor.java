package io.sparsestep.backend;

import java.util.Arrays;

/**
 * A view into a {@link Buffer}: an element type, an offset (in elements of that type) and
 * a row-major shape. Views never own memory; creating one allocates nothing on the
 * backend. Layouts follow cuDNN's NCHW and PyTorch's weight layouts (Linear [out,in],
 * Conv [K,C,R,S]). Every numeric op takes f32 views and refuses others; masks are u8.
 */
public final class Tensor {
    private final Buffer buffer;
    private final DType dtype;
    private final long offset;
    private final int[] shape;
    private final long size;

    /** An f32 view: {@code offset} in floats. */
    public Tensor(Buffer buffer, long offset, int... shape) {
        this(buffer, DType.F32, offset, shape);
    }

    /** A view of element type {@code dtype}: {@code offset} in elements of that type. */
    public Tensor(Buffer buffer, DType dtype, long offset, int... shape) {
        this.buffer = buffer;
        this.dtype = dtype;
        this.offset = offset;
        this.shape = shape.clone();
        long s = 1;
        for (int d : shape) {
            if (d < 0) throw new IllegalArgumentException("negative dimension in " + Arrays.toString(shape));
            s *= d;
        }
        this.size = s;
        if (offset < 0 || (offset + size) * dtype.bytes() > 4 * buffer.words()) {
            throw new IllegalArgumentException(dtype + " view [" + offset + ", " + (offset + size) + ") outside buffer '"
                    + buffer.label() + "' of " + buffer.words() + " words");
        }
    }

    public Buffer buffer() { return buffer; }
    public DType dtype() { return dtype; }
    /** Offset in elements of {@link #dtype()}. */
    public long offset() { return offset; }
    /** Offset in bytes from the start of the buffer. */
    public long byteOffset() { return offset * dtype.bytes(); }
    /** Size in bytes. */
    public long byteSize() { return size * dtype.bytes(); }
    /** Number of elements. */
    public long size() { return size; }
    public int rank() { return shape.length; }
    public int dim(int i) { return shape[i < 0 ? shape.length + i : i]; }
    public int[] shape() { return shape.clone(); }
    public Backend backend() { return buffer.backend(); }

    /** Address of element 0 in bytes: host address (CPU) or device pointer (CUDA). */
    public long address() { return buffer.address() + byteOffset(); }

    /** This view, checked to hold {@code expected} elements; {@code what} names it in the error. */
    public Tensor require(DType expected, String what) {
        if (dtype != expected) throw new IllegalArgumentException(what + " " + this + " holds " + dtype + "; this op takes " + expected);
        return this;
    }

    /** Throws, naming the op and both views, unless a and b hold the same number of elements. */
    public static void requireSameSize(String op, Tensor a, Tensor b) {
        if (a.size() != b.size()) {
            throw new IllegalArgumentException(op + ": " + a + " has " + a.size() + " elements but " + b + " has " + b.size()
                    + "; they must match");
        }
    }

    /** The same memory with another shape of equal size. */
    public Tensor reshape(int... newShape) {
        long s = 1;
        for (int d : newShape) s *= d;
        if (s != size) throw new IllegalArgumentException("cannot reshape " + Arrays.toString(shape) + " to " + Arrays.toString(newShape));
        return new Tensor(buffer, dtype, offset, newShape);
    }

    /** The first {@code n} entries along dimension 0 (a smaller batch in a batch-sized region). */
    public Tensor firstRows(int n) {
        if (n == shape[0]) return this;
        if (n > shape[0]) throw new IllegalArgumentException("batch " + n + " > capacity " + shape[0]);
        int[] s = shape.clone();
        s[0] = n;
        return new Tensor(buffer, dtype, offset, s);
    }

    /** A flat range of this view. */
    public Tensor range(long start, int length) {
        if (start < 0 || start + length > size) throw new IllegalArgumentException("range outside view");
        return new Tensor(buffer, dtype, offset + start, length);
    }

    @Override
    public String toString() {
        return buffer.label() + "@" + offset + Arrays.toString(shape) + (dtype == DType.F32 ? "" : " " + dtype.name().toLowerCase());
    }
}
