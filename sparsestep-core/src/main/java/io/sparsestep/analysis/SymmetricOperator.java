package io.sparsestep.analysis;

/**
 * A symmetric linear map on R^n applied to double vectors: what {@link Lanczos} needs of a
 * matrix. A dense matrix, or the training loss's Hessian through Hessian-vector products
 * ({@link HessianOperator}), which is never formed.
 */
public interface SymmetricOperator {
    /** n, the length of the vectors it maps. */
    int dimension();

    /** {@code out = A v}; {@code out} is overwritten and is never {@code v}. */
    void apply(double[] v, double[] out);
}
