package io.sparsestep.backend;

/**
 * Argument rules of the {@link MaskOps} moves that take more than a mask, shared by every
 * backend so a bad DropPruning setting fails the same way, with the same line, everywhere.
 */
public final class MaskChecks {
    private MaskChecks() {}

    /**
     * {@link MaskOps#dropStep}: mask, survivors (and saved, when given) the size of w, both
     * probabilities in [0, 1] (NaN refused), and a non-negative first element index.
     */
    public static void dropStep(Tensor w, Tensor mask, Tensor survivors, Tensor saved, long indexBase, float p, float q) {
        Tensor.requireSameSize("mask dropStep", w, mask);
        Tensor.requireSameSize("mask dropStep", w, survivors);
        if (saved != null) Tensor.requireSameSize("mask dropStep", w, saved);
        if (!(p >= 0f && p <= 1f) || !(q >= 0f && q <= 1f)) {
            throw new IllegalArgumentException("mask dropStep: probabilities must be in [0, 1], got p=" + p + ", q=" + q);
        }
        if (indexBase < 0) throw new IllegalArgumentException("mask dropStep: indexBase must be >= 0, got " + indexBase);
    }
}
