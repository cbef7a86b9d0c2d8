package io.sparsestep.testing;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * Bit-for-bit float assertions. JUnit's {@code assertEquals(float, float, 0f)} calls +0.0 and
 * -0.0 equal, and its delta-free forms fold every NaN into one; a claim of bitwise equality
 * has to compare {@link Float#floatToRawIntBits} instead, or a kernel that writes -0.0 for a
 * pruned weight passes.
 */
public final class Bits {
    private Bits() {
    }

    /** Every element of {@code actual} has the raw bits of the same element of {@code expected}. */
    public static void assertSameBits(float[] expected, float[] actual, String what) {
        if (expected.length != actual.length) {
            fail(what + ": " + actual.length + " elements, expected " + expected.length);
        }
        int first = -1, differing = 0;
        for (int i = 0; i < expected.length; i++) {
            if (Float.floatToRawIntBits(expected[i]) != Float.floatToRawIntBits(actual[i])) {
                if (first < 0) first = i;
                differing++;
            }
        }
        if (first >= 0) {
            fail(what + ": element " + first + " is " + describe(actual[first]) + ", expected " + describe(expected[first])
                    + " (" + differing + " of " + expected.length + " elements differ)");
        }
    }

    /** {@code actual} has the raw bits of {@code expected}. */
    public static void assertSameBits(float expected, float actual, String what) {
        if (Float.floatToRawIntBits(expected) != Float.floatToRawIntBits(actual)) {
            fail(what + ": " + describe(actual) + ", expected " + describe(expected));
        }
    }

    /** A value with its bits, e.g. {@code -0.0 (0x80000000)}. */
    public static String describe(float v) {
        return v + " (0x" + String.format("%08x", Float.floatToRawIntBits(v)) + ")";
    }
}
