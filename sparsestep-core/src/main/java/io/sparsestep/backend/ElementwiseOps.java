package io.sparsestep.backend;

/**
 * The elementwise and per-channel ops of the layers: fill, add, zero counting, ReLU and
 * its gradient, bias add and bias gradient. f32 views; fill, add, the ReLUs and addBias
 * are exactly rounded on every backend (bitwise equal), the bias gradient is a sum whose
 * order is the backend's. Kernels: {@code kernels/elementwise.cu}; the CPU twin:
 * {@code backend.cpu.CpuElementwiseOps} over {@code backend.cpu.CpuElementwise}.
 */
public interface ElementwiseOps extends OpFamily {
    void fill(Tensor t, float value);

    /** out = a + b, elementwise; out may be a or b. */
    void add(Tensor a, Tensor b, Tensor out);

    /** Number of elements exactly equal to zero (+0 or -0); waits. */
    long countZeros(Tensor t);

    /** y = max(x, 0); y may be x. */
    void reluForward(Tensor x, Tensor y);

    /** dx = dy where y > 0, else 0; dx may be dy. */
    void reluBackward(Tensor y, Tensor dy, Tensor dx);

    /**
     * out = max(a + b, 0), bitwise what {@link #add} then {@link #reluForward} give (a
     * residual sum and its ReLU); out may be a or b. This default is that composition (the
     * CUDA backend's twin); the CPU backend does it in one pass.
     */
    default void addRelu(Tensor a, Tensor b, Tensor out) {
        add(a, b, out);
        reluForward(out, out);
    }

    /** y[i,ch,s] += bias[ch] for a y of shape [n, channels, spatial]. */
    void addBias(Tensor y, Tensor bias, int n, int channels, int spatial);

    /** db[ch] = sum over i,s of dy[i,ch,s] (overwrites db). */
    void biasGradient(Tensor dy, Tensor db, int n, int channels, int spatial);
}
