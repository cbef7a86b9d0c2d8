package io.sparsestep.backend.cpu;

import io.sparsestep.backend.GroupOps;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.util.Arrays;

/**
 * The reduction order of {@link GroupOps} for a group of more than
 * {@link GroupOps#SEQUENTIAL_MAX} elements, replayed on the CPU exactly as
 * kernels/group.cu's 256-thread block adds: element p's term goes to partial sum
 * p mod {@link GroupOps#LANES} (in increasing p), thread t's four partials combine as
 * {@code (s0 + s1) + (s2 + s3)}, each warp of 32 threads sums pairwise (lane 0 of an xor
 * butterfly: {@code v[l] += v[l + o]} for o = 16, 8, 4, 2, 1), and the 8 warp sums, padded
 * with zeros to 32, the same way. Consecutive elements go to consecutive partials, so a
 * float vector's terms are added lanewise in double ({@link #addSquares}), each add rounded
 * as the kernel's. One per worker; nothing is allocated per group.
 */
final class GroupOrder {
    static final int LANES = GroupOps.LANES;
    private static final int WARP = 32;
    private static final VectorSpecies<Float> FLOATS = FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Double> DOUBLES = DoubleVector.SPECIES_PREFERRED;
    private static final int PARTS = FLOATS.length() / DOUBLES.length();
    private static final int D = DOUBLES.length();
    /** Partials per warp: 32 threads of 4. */
    private static final int WARP_LANES = 4 * WARP;
    /** Zeros past the last partial, for the vectors that read a few lanes ahead. */
    private static final int PAD = 2 * D + 2;

    private final double[] lanes = new double[LANES + PAD];
    private final double[] warps = new double[WARP];
    private int used;

    static {
        if (LANES % FLOATS.length() != 0 || LANES / 4 != 256) {
            throw new AssertionError("kernels/group.cu adds in 1024 partials (256 threads x 4); vectors must tile them");
        }
    }

    /** Starts a group of m elements: the partials its terms will reach, and the warps they fall in, are zeroed. */
    void start(int m) {
        used = Math.min(m, LANES);
        Arrays.fill(lanes, 0, Math.min(LANES, warpsUsed() * WARP_LANES) + PAD, 0.0);
    }

    /** Warps of the block that hold at least one element (each covers 128 partials). */
    private int warpsUsed() { return (used + WARP_LANES - 1) / WARP_LANES; }

    /** Adds element p's term. */
    void add(int p, double term) {
        int lane = p & (LANES - 1);
        lanes[lane] = lanes[lane] + term;
    }

    /** Adds the squares of the float vector's lanes as the terms of elements p, p+1, ... (p a multiple of the lane count). */
    void addSquares(int p, FloatVector v) {
        for (int part = 0; part < PARTS; part++) {
            DoubleVector d = (DoubleVector) v.convertShape(VectorOperators.F2D, DOUBLES, part);
            accumulate((p & (LANES - 1)) + part * DOUBLES.length(), d.mul(d));
        }
    }

    /** Adds the magnitudes of the float vector's lanes as the terms of elements p, p+1, ... */
    void addMagnitudes(int p, FloatVector v) {
        for (int part = 0; part < PARTS; part++) {
            DoubleVector d = (DoubleVector) v.convertShape(VectorOperators.F2D, DOUBLES, part);
            accumulate((p & (LANES - 1)) + part * DOUBLES.length(), d.abs());
        }
    }

    private void accumulate(int lane, DoubleVector terms) {
        DoubleVector.fromArray(DOUBLES, lanes, lane).add(terms).intoArray(lanes, lane);
    }

    /**
     * The group's sum. Each step is taken lanewise over the partials, in vectors, with the
     * needed lane at a fixed distance: pairs {@code x[k] = s[k] + s[k+1]}, quads
     * {@code y[k] = x[k] + x[k+2]} (thread t's total is y[4t]), then per warp the butterfly
     * levels {@code y[k] += y[k + 4o]}; the lanes in between are computed and ignored. Each
     * lane is the IEEE sum the kernel forms, so the result is its bits. Partials no element
     * reached are +0.0, and adding +0.0 to the non-negative sums here changes no bit, so
     * the warps beyond them are skipped as zeros.
     */
    double total() {
        int warps = warpsUsed(), span = warps * WARP_LANES;
        shifted(1, span);
        shifted(2, span);
        Arrays.fill(this.warps, 0.0);
        for (int w = 0; w < warps; w++) {
            int base = w * WARP_LANES;
            for (int o = WARP / 2; o > 0; o >>= 1) {
                for (int k = base; k < base + 4 * o; k += D) {
                    DoubleVector.fromArray(DOUBLES, lanes, k).add(DoubleVector.fromArray(DOUBLES, lanes, k + 4 * o)).intoArray(lanes, k);
                }
            }
            this.warps[w] = lanes[base];
        }
        return pairwise(this.warps);
    }

    /** lanes[k] = lanes[k] + lanes[k + shift] for k in [0, span), front to back (each vector reads ahead of what it writes). */
    private void shifted(int shift, int span) {
        for (int k = 0; k < span; k += D) {
            DoubleVector.fromArray(DOUBLES, lanes, k).add(DoubleVector.fromArray(DOUBLES, lanes, k + shift)).intoArray(lanes, k);
        }
    }

    /** Lane 0 of a 32-lane xor butterfly: v[l] = v[l] + v[l ^ o] for l < o, o = 16 .. 1 (destroys v). */
    private static double pairwise(double[] v) {
        for (int o = WARP / 2; o > 0; o >>= 1) {
            for (int l = 0; l < o; l++) v[l] = v[l] + v[l + o];
        }
        return v[0];
    }
}
