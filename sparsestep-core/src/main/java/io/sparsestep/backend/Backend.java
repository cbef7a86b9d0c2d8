package io.sparsestep.backend;

import java.lang.foreign.MemorySegment;

/**
 * Every operation the training loop needs, on one kind of memory. Implementations:
 * {@code backend.cpu.CpuBackend} (pure Java, the reference) and
 * {@code backend.cuda.CudaBackend} (PTX kernels, cuBLAS, cuDNN). Every op on the CUDA
 * backend is tested against its CPU twin.
 *
 * <p>Two kinds of op. The ops with sparsestep's own kernels live in op families, one per
 * {@code kernels/*.cu} ({@link OpFamily}, reached through the accessors below). What stays
 * here is core: memory and transfers, {@link #copy} and {@link #readCounter} (on CUDA a
 * memcpy and a download, no kernel of ours), and the library-backed ops (GEMM on cuBLAS;
 * convolution, pooling and batch norm on cuDNN).
 *
 * <p>Conventions. All tensors are float32 {@link Tensor} views unless an op says otherwise
 * (masks are u8; upload and download move any type); activations are NCHW,
 * matrices row-major. Ops are asynchronous where the backend is (CUDA: enqueued on the
 * backend's stream); {@link #synchronize()}, {@link #download}, {@link #readCounter} and
 * the ops that return a count wait. Output views must not overlap input views unless an op says so. No op allocates
 * backend memory: scratch comes in as a workspace view sized by the matching
 * {@code *WorkspaceWords} query.
 */
public interface Backend extends AutoCloseable {

    /** "cpu" or "cuda". */
    String name();

    /** One line for logs: threads, or GPU name and memory. */
    String description();

    // ---------------------------------------------------------------- memory

    /** One flat allocation of {@code words} 32-bit words, zero-filled. */
    Buffer allocate(long words, String label);

    /**
     * A buffer over {@code words} 32-bit words that the caller owns, starting at
     * {@code address}: how an embedding framework hands its own parameters, gradients or
     * state to sparsestep. The CPU backend takes a host address, the CUDA backend a device
     * pointer (CUdeviceptr) of memory in this backend's context, i.e. the primary context
     * of its device. Nothing is copied and nothing is written (no zero fill).
     *
     * <p>Checked, with one {@link IllegalArgumentException} naming the argument: the address
     * is not 0 and is 4-byte aligned, {@code words >= 0}, the range does not wrap around the
     * address space; and the backend is open. Not checked, the caller's word: that the
     * memory exists, is {@code 4 * words} bytes long and (CUDA) belongs to this backend's
     * device and context. Higher alignment is speed, not correctness: see each backend.
     *
     * <p>Ownership: closing the returned buffer frees nothing (on CUDA it first waits for the
     * backend's stream, so once it returns no queued op of this backend still touches the
     * memory); it is never counted in {@link #allocationCount()}, {@link #bytesInUse()} or
     * {@link #peakBytes()}; closing the backend leaves it alone. Freeing the memory while the
     * buffer, or a view or optimizer built on it, is still in use is the caller's mistake,
     * which this backend cannot see: close those first, then free.
     */
    Buffer wrap(long address, long words, String label);

    /** How many {@link #allocate} calls this backend has served (the no-allocation-in-a-step test counts these). */
    long allocationCount();

    /** Bytes currently allocated through {@link #allocate}. */
    long bytesInUse();

    /** Highest {@link #bytesInUse()} seen (peak device or off-heap memory of a run). */
    long peakBytes();

    /** Host data (native byte order, {@code dst.byteSize()} bytes from the segment's start: floats, or bytes for u8) into a view. */
    void upload(MemorySegment hostFloats, Tensor dst);

    /** A view ({@code src.byteSize()} bytes) into host memory (native byte order); waits for pending work. */
    void download(Tensor src, MemorySegment hostFloats);

    /** Waits until every enqueued op finished. */
    void synchronize();

    // ---------------------------------------------------------------- op families (see OpFamily)

    /** Fill, add, zero counting, ReLU and its gradient, bias add and gradient (kernels/elementwise.cu). */
    ElementwiseOps elementwise();

    /** The loss: softmax cross-entropy (kernels/loss.cu). */
    LossOps loss();

    /** Vector ops: axpy, scale, dot, norm. */
    VectorOps vectors();

    /** Pruning-mask ops: apply a mask, count what it keeps, make one from magnitudes. */
    MaskOps masks();

    /** The fused optimizer steps: gRDA (with its zero count), SGD, GSM and SGD under a fixed mask. */
    StepOps steps();

    /** Exact selection: the k-th largest score by radix select, and the mask of the entries at or above it (kernels/select.cu). */
    SelectOps selects();
    /** Structured ops over groups of a weight (filters, channels, kernels): the fused sDprun step, group norms, group masks (kernels/group.cu). */
    GroupOps groups();

    // ---------------------------------------------------------------- core memory ops (no kernel of ours: not a family)

    /**
     * dst = src (same size; shapes may differ). A core op, not an {@link ElementwiseOps}
     * one: on CUDA it is a device-to-device memcpy (cuMemcpyDtoDAsync), no kernel.
     */
    void copy(Tensor src, Tensor dst);

    /**
     * Reads word 0 of a view as an unsigned 32-bit counter (see {@link StepOps#grda}); waits.
     * A core op, like {@link #download}: on CUDA it is a 4-byte device-to-host copy, no kernel.
     */
    long readCounter(Tensor counter);

    // ---------------------------------------------------------------- dense (cuBLAS on CUDA)

    /**
     * Row-major C[m,n] = alpha * op(A)[m,k] * op(B)[k,n] + beta * C. A is stored [m,k]
     * ([k,m] when transA), B [k,n] ([n,k] when transB), both contiguous. beta = 0 ignores
     * C's old contents (NaN included).
     */
    void gemm(boolean transA, boolean transB, int m, int n, int k,
              float alpha, Tensor a, Tensor b, float beta, Tensor c);

    // ---------------------------------------------------------------- convolution (cuDNN on CUDA)

    /** Scratch words one convolution of this geometry needs (for forward and both backward passes). */
    long convWorkspaceWords(ConvGeometry g);

    /**
     * The least scratch this geometry can run with, possibly with slower algorithms: what a
     * batch size planned into scratch sized for another batch must fit. Equal to
     * {@link #convWorkspaceWords} where the choice of algorithm does not depend on timing.
     */
    default long convMinWorkspaceWords(ConvGeometry g) {
        return convWorkspaceWords(g);
    }

    /** y = conv(x, w); x [n,c,h,w], w [k,c,r,s], y [n,k,outH,outW]. */
    void convForward(ConvGeometry g, Tensor x, Tensor w, Tensor y, Tensor workspace);

    /** dx = gradient of conv w.r.t. its input (overwrites dx). */
    void convBackwardData(ConvGeometry g, Tensor dy, Tensor w, Tensor dx, Tensor workspace);

    /** dw = gradient of conv w.r.t. its filter, summed over the batch (overwrites dw). */
    void convBackwardFilter(ConvGeometry g, Tensor x, Tensor dy, Tensor dw, Tensor workspace);

    // ---------------------------------------------------------------- pooling (cuDNN on CUDA)

    void poolForward(PoolMode mode, PoolGeometry g, Tensor x, Tensor y);

    /** dx from dy (overwrites dx); x and y are the forward pass's input and output. */
    void poolBackward(PoolMode mode, PoolGeometry g, Tensor x, Tensor y, Tensor dy, Tensor dx);

    // ---------------------------------------------------------------- batch norm (cuDNN on CUDA; per channel over n and spatial)

    /**
     * Training-mode batch norm: batch mean and biased variance normalise x; running
     * statistics move by {@code momentum} (PyTorch: running = (1-m)*running + m*batch, the
     * running variance unbiased); saveMean and saveInvStd (1/sqrt(var+eps)) keep the batch
     * statistics for the backward pass.
     */
    void batchNormForwardTraining(int n, int channels, int spatial, Tensor x, Tensor y,
                                  Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVar,
                                  Tensor saveMean, Tensor saveInvStd, float momentum, float eps);

    /** Inference-mode batch norm with the running statistics. */
    void batchNormForwardInference(int n, int channels, int spatial, Tensor x, Tensor y,
                                   Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVar, float eps);

    /** dx, dgamma, dbeta (all overwritten) of training-mode batch norm. */
    void batchNormBackward(int n, int channels, int spatial, Tensor x, Tensor dy, Tensor gamma,
                           Tensor saveMean, Tensor saveInvStd, Tensor dx, Tensor dgamma, Tensor dbeta, float eps);

    // ---------------------------------------------------------------- batch norm + ReLU (fused on the CPU)

    /**
     * {@link #batchNormForwardTraining} then y = max(y, 0): bitwise what that composition
     * gives. This default is the composition (the CUDA backend's twin: cuDNN's batch norm,
     * then the ReLU kernel in place); {@code CpuBackend} writes the ReLU in its normalise
     * pass, so y is written once.
     */
    default void batchNormReluForwardTraining(int n, int channels, int spatial, Tensor x, Tensor y,
                                              Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVar,
                                              Tensor saveMean, Tensor saveInvStd, float momentum, float eps) {
        batchNormForwardTraining(n, channels, spatial, x, y, gamma, beta, runningMean, runningVar, saveMean, saveInvStd, momentum, eps);
        elementwise().reluForward(y, y);
    }

    /** {@link #batchNormForwardInference} then y = max(y, 0), as {@link #batchNormReluForwardTraining} is for training. */
    default void batchNormReluForwardInference(int n, int channels, int spatial, Tensor x, Tensor y,
                                               Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVar, float eps) {
        batchNormForwardInference(n, channels, spatial, x, y, gamma, beta, runningMean, runningVar, eps);
        elementwise().reluForward(y, y);
    }

    /**
     * Scratch words {@link #batchNormReluBackward} needs for this shape: the default
     * composition keeps the masked gradient there (one activation); a backend that fuses
     * the mask into its passes needs none.
     */
    default long batchNormReluWorkspaceWords(int n, int channels, int spatial) {
        return (long) n * channels * spatial;
    }

    /**
     * The backward pass of y = max(bn(x), 0) given that forward pass's output y:
     * {@link #batchNormBackward} of the gradient dy where y > 0 and 0 elsewhere (the ReLU's
     * gradient), bitwise what {@link ElementwiseOps#reluBackward} then batchNormBackward give.
     * This default is that composition, with the masked gradient in {@code workspace}
     * ({@link #batchNormReluWorkspaceWords} words; the CUDA backend's twin); {@code CpuBackend}
     * reads y and dy in its sums and dx passes instead and leaves the workspace alone.
     */
    default void batchNormReluBackward(int n, int channels, int spatial, Tensor x, Tensor y, Tensor dy, Tensor gamma,
                                       Tensor saveMean, Tensor saveInvStd, Tensor dx, Tensor dgamma, Tensor dbeta,
                                       float eps, Tensor workspace) {
        Tensor masked = workspace.range(0, Math.toIntExact(dy.size()));
        elementwise().reluBackward(y, dy, masked);
        batchNormBackward(n, channels, spatial, x, masked, gamma, saveMean, saveInvStd, dx, dgamma, dbeta, eps);
    }

    @Override
    void close();
}
