package io.sparsestep.backend;

/**
 * The fused optimizer steps over flat f32 ranges (one group of parameters at a time), the
 * ops sparsestep exists for: one pass over the parameters per step, no temporaries. Both
 * round every product and sum separately, exactly as Java's float arithmetic does, so the
 * backends agree bit for bit, the sign of a zero included. w, g and the state buffer are
 * views of equal size that must not overlap. Kernels: {@code kernels/optim.cu}; the same
 * steps on raw memory, for code that owns its memory: {@code backend.cpu.CpuFusedSteps},
 * {@code backend.cuda.CudaFusedSteps}.
 */
public interface StepOps extends OpFamily {
    /**
     * One fused gRDA step over a flat range: acc -= lr*g; w = sign(acc)*max(|acc|-tau, 0).
     * Reads g and acc, writes acc and w (16 bytes per parameter); never reads w. When
     * {@code zeroCounter} is not null, adds the number of zeros written to w to its word 0
     * (an unsigned 32-bit counter; zero it with {@link ElementwiseOps#fill}, read it with
     * {@link Backend#readCounter}).
     */
    void grda(Tensor w, Tensor g, Tensor acc, float lr, float tau, Tensor zeroCounter);

    /**
     * One fused SGD step with PyTorch's semantics over a flat range:
     * g' = g + wd*w; if momentum != 0: buf = firstStep ? g' : momentum*buf + (1-dampening)*g',
     * g' = nesterov ? g' + momentum*buf : buf; w -= lr*g'. {@code momentumBuf} may be null
     * when momentum is 0. g is not modified.
     */
    void sgd(Tensor w, Tensor g, Tensor momentumBuf, float lr, float momentum, float dampening,
             float weightDecay, boolean nesterov, boolean firstStep);
}
