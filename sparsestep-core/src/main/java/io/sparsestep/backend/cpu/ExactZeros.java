package io.sparsestep.backend.cpu;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The exact zeros (+0.0 and -0.0) among {@code size} floats, and their share: the sparsity
 * figure the framework adapters (DJL, DL4J) report per weight tensor and over all their
 * prunable weights. What the floats are (weights only, no biases or norms) is the caller's to say.
 */
public record ExactZeros(long zeros, long size) {
    public ExactZeros {
        if (zeros < 0 || zeros > size) throw new IllegalArgumentException("zeros " + zeros + " of " + size + " floats");
    }

    /** Nothing counted yet: the start of a sum. */
    public static final ExactZeros NONE = new ExactZeros(0, 0);

    /** The zeros of {@code values}. */
    public static ExactZeros of(float[] values) {
        return of(MemorySegment.ofArray(values));
    }

    /** The zeros of the floats of {@code floats} (its whole length). */
    public static ExactZeros of(MemorySegment floats) {
        long n = floats.byteSize() / Float.BYTES;
        long zeros = 0;
        for (long i = 0; i < n; i++) if (floats.getAtIndex(ValueLayout.JAVA_FLOAT, i) == 0f) zeros++;
        return new ExactZeros(zeros, n);
    }

    /** This count and {@code other} together. */
    public ExactZeros plus(ExactZeros other) { return new ExactZeros(zeros + other.zeros, size + other.size); }

    /** zeros / size (NaN for no floats). */
    public double share() { return (double) zeros / size; }
}
