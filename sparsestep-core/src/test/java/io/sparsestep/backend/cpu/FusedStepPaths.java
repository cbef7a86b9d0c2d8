package io.sparsestep.backend.cpu;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.StringJoiner;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Which code paths of {@link CpuFusedSteps} a size reaches. A range of n floats runs
 * n / L vectors of L lanes and an n % L scalar tail; L is 16 on AVX-512, 8 on AVX2, 4 on
 * SSE or NEON. A size that fits the scalar tail on one machine never reaches the vector body
 * there, so the fused-step tests run {@link #SIZES} and check (and print) that on this
 * machine some size runs at least two vectors and a tail.
 */
public final class FusedStepPaths {
    /** Lane counts {@link #SIZES} is chosen for: every float vector width up to 512 bits, and 1. */
    static final int[] LANE_COUNTS = {1, 2, 4, 8, 16};

    /**
     * For every lane count in {@link #LANE_COUNTS}: a size with only a tail (1, 3, 15), one
     * with whole vectors only (16, 64) and one with at least two vectors and a tail (15 for
     * 2 and 4 lanes, 17 for 8, 33 and 47 for 16). With one lane there is never a tail.
     */
    public static final int[] SIZES = {1, 3, 15, 16, 17, 31, 33, 47, 64, 69};

    private FusedStepPaths() {
    }

    /** Float lanes of the fused steps on this machine. */
    public static int lanes() {
        return CpuFusedSteps.lanes();
    }

    /** A size {@link CpuBackend} splits into four chunks, the last one ending in a scalar tail. */
    public static int chunkedSize() {
        return 3 * CpuBackend.CHUNK + 21;
    }

    /** Chunks of a range of n floats: pieces of {@link CpuBackend#CHUNK}, spread over the workers. */
    public static long chunks(long n) {
        return (n + CpuBackend.CHUNK - 1) / CpuBackend.CHUNK;
    }

    /** True when n floats run at least two full vectors of {@code lanes} and a non-empty scalar tail (just the vectors with one lane). */
    static boolean reachesBodyAndTail(int n, int lanes) {
        return n / lanes >= 2 && (lanes == 1 || n % lanes != 0);
    }

    /**
     * Fails unless {@code sizes} reach two vectors and a tail for every lane count in
     * {@link #LANE_COUNTS} and for this machine's, then prints what each size reaches here.
     */
    public static void requireBodyAndTail(String test, int... sizes) {
        List<Integer> counts = new ArrayList<>();
        for (int l : LANE_COUNTS) counts.add(l);
        counts.add(lanes());
        for (int l : counts) {
            boolean reached = false;
            for (int n : sizes) reached |= reachesBodyAndTail(n, l);
            assertTrue(reached, test + ": no size reaches two vectors and a scalar tail with " + l + " lanes");
        }
        System.out.println(test + ": " + report(sizes));
    }

    /** {@link #requireBodyAndTail(String, int...)} over the group sizes of optimizer tests, one row per fixture. */
    public static void requireBodyAndTail(String test, int[][] groupSizes) {
        requireBodyAndTail(test, Arrays.stream(groupSizes).flatMapToInt(Arrays::stream).toArray());
    }

    /** What each size reaches on this machine, e.g. {@code 33 (2 vectors + tail 1)}. */
    static String report(int... sizes) {
        int l = lanes();
        StringJoiner each = new StringJoiner(", ");
        StringJoiner both = new StringJoiner(", ");
        for (int n : sizes) {
            int vectors = n / l, tail = n % l;
            String parts = vectors == 0 ? "tail " + tail : vectors + (vectors == 1 ? " vector" : " vectors") + (tail == 0 ? "" : " + tail " + tail);
            if (n > CpuBackend.CHUNK) parts += ", " + chunks(n) + " chunks";
            each.add(n + " (" + parts + ")");
            if (reachesBodyAndTail(n, l)) both.add(Integer.toString(n));
        }
        return "CpuFusedSteps has " + l + " float lanes here (" + jdk.incubator.vector.FloatVector.SPECIES_PREFERRED
                + "); sizes " + each + "; vector body and scalar tail both run at " + both;
    }
}
