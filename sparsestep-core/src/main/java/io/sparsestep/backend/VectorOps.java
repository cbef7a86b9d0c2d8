package io.sparsestep.backend;

/**
 * Vector ops over f32 views of equal size, for tools that treat parameter-shaped buffers
 * as vectors (the loss along a line between two weight vectors, Hessian-vector products by
 * gradient differences, direction norms). axpy and scale round like Java float arithmetic
 * (one rounding per product and per sum) on every backend, so they agree bit for bit;
 * dot and norm accumulate in double in a fixed order for a backend and size, so a result
 * is reproducible, and backends agree to double rounding.
 */
public interface VectorOps extends OpFamily {
    /** y = y + alpha*x (x and y the same size; they must not overlap). */
    void axpy(float alpha, Tensor x, Tensor y);

    /**
     * y = y + s*sign(x): the L1 subgradient network slimming adds to the gradient of the
     * batch-norm scales (x the scales, y their gradient). sign(0) = 0; a NaN in x makes y
     * NaN (a diverged scale stays visible). One rounding, the sum, as Java's; bitwise on
     * every backend. 12 bytes per element.
     */
    void addScaledSign(float s, Tensor x, Tensor y);

    /** x = alpha*x, in place. */
    void scale(Tensor x, float alpha);

    /** The sum over i of x[i]*y[i], in double; waits for the backend. */
    double dot(Tensor x, Tensor y);

    /** The Euclidean norm sqrt(sum x[i]^2), accumulated in double; waits. */
    double norm(Tensor x);
}
