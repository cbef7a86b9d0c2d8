package io.sparsestep.backend;

/**
 * Structured ops over the groups of a weight ({@link GroupGeometry}: output filters, input
 * channels or k*k kernels of a conv weight seen as [O, I, K]; rows of a linear weight): the
 * fused sDprun step, per-group L1/L2 norms (L1 filter pruning's scores, Campfire's kernel
 * scores), and a mask of one byte per group. Kernels: {@code kernels/group.cu}.
 *
 * <p><b>Reduction order.</b> Group sums are accumulated in double from exact terms (a
 * float*float product and |x| are exact in double) in one fixed order that depends only
 * on the group size m, never on the backend, threads or device: for m <= {@value #SEQUENTIAL_MAX},
 * one sequential sum over p = 0..m-1; above, {@value #LANES} partial sums (element p goes
 * to partial p mod {@value #LANES}, in increasing p), combined per quadruple as
 * {@code (s0 + s1) + (s2 + s3)}, then by a pairwise tree within each 32 of the 256
 * quadruples and a pairwise tree over those 8 sums (the CUDA block reduction's shuffle
 * trees, which the CPU twin replays). So every result here is bitwise reproducible, and
 * the CPU and CUDA backends agree bit for bit.
 */
public interface GroupOps extends OpFamily {
    /** Groups of at most this many elements are summed sequentially (one GPU thread per group). */
    int SEQUENTIAL_MAX = 32;
    /** Partial sums of a larger group (4 per thread of a 256-thread block). */
    int LANES = 1024;

    /** Which norm {@link #norms} computes. */
    enum Norm { L1, L2 }

    /**
     * One fused sDprun step over one weight tensor (its w, g and acc views, each of
     * {@code geo.size()} floats, distinct): pass 1, {@code acc -= lr*g} (rounded as gRDA's
     * step) and per group {@code S = sum of acc^2} in double; pass 2, per group
     * {@code w = acc * max(0, 1 - threshold/sqrt(S))} (threshold = lambda_G * tau), the product
     * taken in double and rounded once to float. A group with {@code sqrt(S) <= threshold}
     * (an all-zero accumulator included) is written +0.0 throughout, as is every other zero
     * written; a NaN in a group makes S NaN, which never prunes: the group is written NaN.
     * A group of one element is soft-thresholded exactly as {@link StepOps#grda} does
     * ({@code sign(a)*max(|a|-threshold, 0)}), so groups of size 1 reproduce gRDA bit for bit.
     *
     * <p>{@code sumSquares} (f32, {@code geo.groups()} entries, may be null) receives each
     * group's S rounded to float; {@code zeroCounter} (may be null) gets the number of zeros
     * written to w added to its word 0, as {@link StepOps#grda}'s.
     */
    void sdprun(GroupGeometry geo, Tensor w, Tensor g, Tensor acc, float lr, float threshold, Tensor sumSquares, Tensor zeroCounter);

    /** norms[g] = the L1 ({@code sum |x|}) or L2 ({@code sqrt(sum x^2)}) norm of group g of x, rounded to float. */
    void norms(GroupGeometry geo, Norm norm, Tensor x, Tensor norms);

    /**
     * x = mask[group] != 0 ? x : +0.0 for every element, in place (weights or their
     * gradients); mask is u8 with one entry per group ({@code geo.groups()}).
     */
    void applyMask(GroupGeometry geo, Tensor mask, Tensor x);
}
