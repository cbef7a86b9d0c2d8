package io.sparsestep.backend;

/**
 * The element type of a {@link Tensor}. Buffers are untyped runs of 32-bit words; a view
 * says how to read them. f32 is everything numeric; u8 is one byte per element, what a
 * pruning mask needs (1 = kept, 0 = pruned): a quarter of the parameters' memory; f64 holds
 * reduction results that must keep their last bits (per-group sums of squares).
 */
public enum DType {
    F32(4),
    U8(1),
    F64(8);

    private final int bytes;

    DType(int bytes) { this.bytes = bytes; }

    /** Bytes per element. */
    public int bytes() { return bytes; }

    /** 32-bit words that hold {@code elements} elements (rounded up). */
    public long wordsFor(long elements) { return (elements * bytes + 3) / 4; }
}
