package io.sparsestep.backend;

/**
 * Pruning-mask ops. A mask is a u8 view (1 = kept, 0 = pruned) of the same size as the
 * f32 view it applies to, laid out like it: one byte per weight, a quarter of the
 * weights' memory. Every result is exact, so backends agree bit for bit.
 */
public interface MaskOps extends OpFamily {
    /** x[i] = mask[i] != 0 ? x[i] : +0.0, in place (weights after pruning, or their gradients). */
    void apply(Tensor mask, Tensor x);

    /** Number of kept entries (mask[i] != 0); waits for the backend. */
    long countKept(Tensor mask);

    /**
     * mask[i] = |x[i]| > threshold ? 1 : 0. Tie rule: an entry equal to the threshold is
     * pruned. A NaN entry is kept, so a diverged weight stays visible rather than masked.
     */
    void fromMagnitude(Tensor x, float threshold, Tensor mask);
}
