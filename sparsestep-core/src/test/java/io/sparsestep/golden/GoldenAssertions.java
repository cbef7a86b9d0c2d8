package io.sparsestep.golden;

import com.fasterxml.jackson.databind.JsonNode;
import io.sparsestep.testing.Bits;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

/** Comparisons of our float32 results with a torch fixture, each failure naming the worst element. */
public final class GoldenAssertions {
    /** Seed of the weights of a sampled record's {@code probe_sum} (PROBE_SEED in the script). */
    private static final int PROBE_SEED = 999;

    private GoldenAssertions() {
    }

    /** Every element has the same float32 bits (so -0.0 differs from 0.0); the expected values are torch's. */
    public static void assertBitwise(float[] expected, float[] actual, String what) {
        Bits.assertSameBits(expected, actual, what + " (expected: torch)");
    }

    /** |actual - expected| <= rtol * max|expected| for every element. */
    public static void assertCloseToScale(float[] expected, float[] actual, double rtol, String what) {
        assertEquals(expected.length, actual.length, what + ": length");
        double scale = 0;
        for (float e : expected) scale = Math.max(scale, Math.abs(e));
        int[] index = new int[expected.length];
        for (int i = 0; i < index.length; i++) index[i] = i;
        assertElements(index, expected, actual, rtol * scale, what);
    }

    /**
     * Against a tensor record of the fixture: stored whole, compared as
     * {@link #assertCloseToScale}; or sampled, where the sampled elements are held to rtol of
     * the tensor's largest magnitude and the largest magnitude, the sum, the sum of
     * magnitudes and a sum under pseudo-random weights in [-1, 1) over all elements are held
     * to rtol of the sum of magnitudes (what each would be off by if every element were off
     * by rtol of itself). The weighted sum catches elements that are right but misplaced.
     */
    public static void assertMatchesRecord(JsonNode record, float[] actual, double rtol, String what) {
        assertEquals(TorchGolden.volume(TorchGolden.ints(record.get("shape"))), actual.length, what + ": element count");
        if (record.has("data")) {
            assertCloseToScale(TorchGolden.floats(record.get("data")), actual, rtol, what);
            return;
        }
        double absMax = record.get("abs_max").doubleValue();
        int[] index = TorchGolden.ints(record.get("sample_index"));
        float[] sample = TorchGolden.floats(record.get("sample"));
        float[] actualSample = new float[index.length];
        for (int i = 0; i < index.length; i++) actualSample[i] = actual[index[i]];
        assertElements(index, sample, actualSample, rtol * absMax, what);

        float[] probe = TorchGolden.uniform(PROBE_SEED, actual.length, 1f);
        double max = 0, sum = 0, absSum = 0, probeSum = 0;
        for (int i = 0; i < actual.length; i++) {
            max = Math.max(max, Math.abs(actual[i]));
            sum += actual[i];
            absSum += Math.abs(actual[i]);
            probeSum += (double) probe[i] * actual[i];
        }
        double recordedAbsSum = record.get("abs_sum").doubleValue();
        assertNear(absMax, max, rtol * absMax, what + ": largest magnitude");
        assertNear(record.get("sum").doubleValue(), sum, rtol * recordedAbsSum, what + ": sum");
        assertNear(recordedAbsSum, absSum, rtol * recordedAbsSum, what + ": sum of magnitudes");
        assertNear(record.get("probe_sum").doubleValue(), probeSum, rtol * recordedAbsSum, what + ": weighted sum");
    }

    private static void assertElements(int[] index, float[] expected, float[] actual, double tolerance, String what) {
        int worst = -1, count = 0;
        double worstError = 0;
        for (int i = 0; i < expected.length; i++) {
            double error = Math.abs((double) actual[i] - expected[i]);
            if (!(error <= tolerance)) {
                count++;
                if (worst < 0 || !(error <= worstError)) {
                    worst = i;
                    worstError = error;
                }
            }
        }
        if (worst >= 0) {
            fail(String.format("%s: %d of %d elements off by more than %.3g; worst [%d] is %s, torch %s",
                    what, count, expected.length, tolerance, index[worst], actual[worst], expected[worst]));
        }
    }

    private static void assertNear(double expected, double actual, double tolerance, String what) {
        if (!(Math.abs(actual - expected) <= tolerance)) {
            fail(String.format("%s is %s, torch %s (tolerance %.3g)", what, actual, expected, tolerance));
        }
    }
}
