package io.sparsestep.backend;

/**
 * The fused optimizer steps over flat f32 ranges (one group of parameters at a time), the
 * ops sparsestep exists for: one pass over the parameters per step, no temporaries. Every
 * step rounds every product and sum separately, exactly as Java's float arithmetic does, so
 * the backends agree bit for bit, the sign of a zero included. w, g and the state buffer
 * (and a mask) are views of equal size that must not overlap. Kernels:
 * {@code kernels/optim.cu}; gRDA and SGD also on raw memory, for code that owns its memory:
 * {@code backend.cpu.CpuFusedSteps}, {@code backend.cuda.CudaFusedSteps}.
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

    /**
     * One fused GSM step (Global Sparse Momentum SGD, Ding et al. 2019, as the authors'
     * code does it) over a flat range of prunable weights: an entry is selected when its
     * score {@code |g*w|} (rounded as {@link SelectOps.Score#SALIENCY} rounds it) is
     * {@code >=} the f32 word {@code threshold} (read on the backend, e.g.
     * {@link SelectOps#threshold}; ties are kept; a NaN score is never selected);
     * d = (selected ? g : 0) + wd*w; then momentum as {@link #sgd} (dampening 0: PyTorch's
     * buf = first ? d : momentum*buf + d; Nesterov d + momentum*buf); w -= lr*d'. An
     * unselected weight keeps moving by its stale momentum and its decay, as in the
     * authors' code. g is not modified. Reads g, w, buf, writes w, buf (20 bytes per
     * parameter, the threshold once per block).
     */
    void gsm(Tensor w, Tensor g, Tensor momentumBuf, Tensor threshold, float lr, float momentum, float weightDecay,
             boolean nesterov, boolean firstStep);

    /**
     * One fused masked SGD step (the step of every method with a fixed mask: gradual
     * magnitude pruning, one-shot magnitude fine-tuning, DropPruning's retraining, GSM's
     * exact-Q variant): g' = mask ? g : 0, then exactly {@link #sgd} on g'; then, when
     * {@code zeroPruned}, w = mask ? w : +0.0 (pruned weights stay exactly zero whatever
     * their momentum and decay). {@code mask} is a u8 view of the range's size (1 kept).
     * g is not modified. Reads g, w, buf, mask, writes w, buf (21 bytes per parameter).
     */
    void maskedSgd(Tensor w, Tensor g, Tensor momentumBuf, Tensor mask, float lr, float momentum, float dampening,
                   float weightDecay, boolean nesterov, boolean firstStep, boolean zeroPruned);
}
