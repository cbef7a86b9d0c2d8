package io.sparsestep.dl4j;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The scalars of an updater block's state, kept at the start of the state view DL4J gives
 * the updater, so that {@code ModelSerializer}, which saves that view and restores it into a
 * fresh updater <em>after</em> the updater was initialised, carries them too: the step count
 * (0: the block has not stepped, its buffers are not set up yet) and, for gRDA, the threshold
 * tau as a double. The view is float32, so each 64-bit value is stored as four floats of 16
 * bits each (least significant first), every one an integer in [0, 65535] and exact in
 * float32, whatever copies the view goes through; the double's raw bits come back unchanged.
 * The steps read and write the header through the static methods (no object per step); the
 * record is the header as a value.
 */
record StateHeader(long steps, double tau) {
    /** Floats of one 64-bit value. */
    private static final int CHUNKS = 4;
    /** Floats the header takes at the start of the state: the step count and tau. */
    static final int FLOATS = 2 * CHUNKS;

    StateHeader {
        check(steps, tau);
    }

    /** The header of a block that has not stepped: what a zero-filled view reads as. */
    static final StateHeader FRESH = new StateHeader(0, 0);

    /** Refuses a header no updater writes: a count < 0, a threshold not finite and >= 0, a threshold before the first step. */
    static void check(long steps, double tau) {
        if (steps < 0 || !(tau >= 0 && tau < Double.POSITIVE_INFINITY) || (steps == 0 && tau != 0)) {
            throw new IllegalStateException("the updater state is damaged: step count " + steps + ", threshold " + tau
                    + " (expected a count >= 0, a finite threshold >= 0, and 0 before the first step)");
        }
    }

    /** Reads the header from the first {@link #FLOATS} floats of {@code state}; a value that is no 16-bit chunk is refused. */
    static StateHeader read(MemorySegment state) {
        return new StateHeader(readSteps(state), readTau(state));
    }

    /** The step count of the header in {@code state} (see {@link #read}; check it with {@link #check}). */
    static long readSteps(MemorySegment state) { return readLong(state, 0); }

    /** The threshold of the header in {@code state}. */
    static double readTau(MemorySegment state) { return Double.longBitsToDouble(readLong(state, CHUNKS)); }

    /** Writes this header into the first {@link #FLOATS} floats of {@code state}. */
    void write(MemorySegment state) { write(state, steps, tau); }

    /** Writes a header of {@code steps} and {@code tau} (checked first) into {@code state}. */
    static void write(MemorySegment state, long steps, double tau) {
        check(steps, tau);
        writeLong(state, 0, steps);
        writeLong(state, CHUNKS, Double.doubleToRawLongBits(tau));
    }

    private static long readLong(MemorySegment state, int at) {
        long value = 0;
        for (int k = 0; k < CHUNKS; k++) {
            float chunk = state.getAtIndex(ValueLayout.JAVA_FLOAT, at + k);
            if (!(chunk >= 0 && chunk <= 0xFFFF && chunk == Math.rint(chunk))) {
                throw new IllegalStateException("the updater state is damaged: header float " + (at + k) + " is " + chunk
                        + ", not a 16-bit chunk; was the state written by this updater?");
            }
            value |= (long) chunk << (16 * k);
        }
        return value;
    }

    private static void writeLong(MemorySegment state, int at, long value) {
        for (int k = 0; k < CHUNKS; k++) state.setAtIndex(ValueLayout.JAVA_FLOAT, at + k, (value >>> (16 * k)) & 0xFFFF);
    }
}
