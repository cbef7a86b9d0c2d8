package io.sparsestep.backend.cuda;

import io.sparsestep.backend.StepChecks;

import java.util.concurrent.ConcurrentHashMap;

/**
 * sparsestep's fused optimizer steps for code that manages its own CUDA memory: an
 * embedding framework passes raw device pointers (CUdeviceptr) and a CUstream. Each call is
 * one kernel launch, enqueued on {@code stream}, not waited for. {@link CudaStepOps} (the
 * CUDA backend's steps) uses the same launch path.
 *
 * <p>Requirements: a CUDA context current on the calling thread (the framework's, or the
 * primary context that the CUDA runtime uses), device pointers to float32 arrays of
 * {@code n} elements that do not overlap, and the stream belonging to that context. The
 * PTX module is loaded into the context on first use and cached per context; call
 * {@link #releaseCurrentContext()} before destroying a context you created.
 *
 * <pre>{@code
 * // w, g, acc: device pointers (CUdeviceptr) of n floats each; acc starts as a copy of w.
 * // counter: device pointer to one unsigned int, or 0 to skip counting.
 * long stream = 0;                                     // the legacy default stream, or your CUstream
 * double tau = 0;                                      // gRDA's threshold grows with the step count
 * for (int step = 1; step <= steps; step++) {
 *     // ... your framework computes g on the GPU, on the same stream ...
 *     tau += c * Math.pow(lr, 0.5 + mu) * (Math.pow(step, mu) - Math.pow(step - 1, mu));
 *     CudaFusedSteps.grdaStep(w, g, acc, n, lr, (float) tau, counter, stream);
 * }
 *
 * // PyTorch-style SGD with momentum 0.9 and weight decay 5e-4; m is a device buffer of n floats
 * // (its contents are ignored on the first step, which initialises it from the gradient).
 * for (int step = 1; step <= steps; step++) {
 *     CudaFusedSteps.sgdStep(w, g, m, n, 0.1f, 0.9f, 0f, 5e-4f, false, step == 1, stream);
 * }
 * }</pre>
 */
public final class CudaFusedSteps {
    private static final ConcurrentHashMap<Long, LoadedKernels> PER_CONTEXT = new ConcurrentHashMap<>();

    private CudaFusedSteps() {}

    /**
     * One gRDA step over n parameters: {@code acc -= lr*g; w = sign(acc)*max(|acc|-tau, 0)}.
     * Reads g and acc, writes acc and w. When {@code zeroCountOrZero} is a device pointer to
     * an unsigned 32-bit counter, adds the number of zeros written to w (zero it first).
     */
    public static void grdaStep(long w, long g, long acc, long n, float lr, float tau, long zeroCountOrZero, long stream) {
        requirePointers("grdaStep", n, w, g, acc);
        StepChecks.tau(tau);
        grdaStep(kernelsForCurrentContext(), w, g, acc, n, lr, tau, zeroCountOrZero, stream);
    }

    /**
     * One SGD step with PyTorch's semantics over n parameters (see {@code StepOps.sgd}).
     * {@code m} (the momentum buffer) may be 0 when momentum is 0. {@code firstStep}
     * initialises the buffer from the gradient, as PyTorch does on its first step.
     */
    public static void sgdStep(long w, long g, long m, long n, float lr, float momentum, float dampening,
                               float weightDecay, boolean nesterov, boolean firstStep, long stream) {
        requireSgdArguments(w, g, m, n, momentum);
        StepChecks.sgd(momentum, nesterov, dampening);
        sgdStep(kernelsForCurrentContext(), w, g, m, n, lr, momentum, dampening, weightDecay, nesterov, firstStep, stream);
    }

    /** Unloads the module cached for the calling thread's current context (before you destroy that context). */
    public static void releaseCurrentContext() {
        releaseContext(CudaDriver.get().currentContext());
    }

    /** Unloads the module cached for {@code context}, which must be current on this thread; nothing if none. */
    static void releaseContext(long context) {
        LoadedKernels k = PER_CONTEXT.remove(context);
        if (k != null) k.close();
    }

    /**
     * Drops the cache entry of a context that no longer exists (its module died with it), so
     * a later context that happens to get the same handle loads its own.
     */
    static void forgetDestroyedContext(long context) {
        PER_CONTEXT.remove(context);
    }

    /** Whether a module is cached for {@code context} (for tests). */
    static boolean hasModuleFor(long context) {
        return PER_CONTEXT.containsKey(context);
    }

    /** Caches the module of {@code context} as a launch through the public API would (for tests on a fake stack). */
    static void cache(long context, LoadedKernels kernels) {
        PER_CONTEXT.put(context, kernels);
    }

    // ------------------------------------------------------------------ the one launch path

    static void grdaStep(LoadedKernels kernels, long w, long g, long acc, long n, float lr, float tau,
                         long zeroCountOrZero, long stream) {
        requirePointers("grdaStep", n, w, g, acc);
        KernelArgs args = KernelArgs.begin().ptr(w).ptr(g).ptr(acc).u64(n).f32(lr).f32(tau).ptr(zeroCountOrZero);
        kernels.launchFlat(KernelSignature.GRDA_STEP, n, stream, args);
    }

    static void sgdStep(LoadedKernels kernels, long w, long g, long m, long n, float lr, float momentum, float dampening,
                        float weightDecay, boolean nesterov, boolean firstStep, long stream) {
        requireSgdArguments(w, g, m, n, momentum);
        KernelArgs args = KernelArgs.begin().ptr(w).ptr(g).ptr(m).u64(n).f32(lr).f32(momentum).f32(dampening)
                .f32(weightDecay).i32(nesterov ? 1 : 0).i32(firstStep ? 1 : 0);
        kernels.launchFlat(KernelSignature.SGD_STEP, n, stream, args);
    }

    private static void requireSgdArguments(long w, long g, long m, long n, float momentum) {
        requirePointers("sgdStep", n, w, g);
        if (momentum != 0f && n > 0) {
            if (m == 0) throw new IllegalArgumentException("sgdStep with momentum " + momentum + " needs a momentum buffer, got NULL");
            requirePointers("sgdStep", n, m);
        }
    }

    private static void requirePointers(String op, long n, long... pointers) {
        if (n < 0) throw new IllegalArgumentException(op + ": negative element count " + n);
        if (n == 0) return;
        for (long p : pointers) {
            if (p == 0) throw new IllegalArgumentException(op + ": a parameter, gradient or state pointer is NULL");
            if ((p & 3) != 0) throw new IllegalArgumentException(op + ": device pointer 0x" + Long.toHexString(p) + " is not float-aligned");
        }
    }

    private static LoadedKernels kernelsForCurrentContext() {
        CudaDriver driver = CudaDriver.get();
        long context = driver.currentContext();
        if (context == 0) {
            throw new IllegalStateException("CudaFusedSteps needs a CUDA context current on this thread (cuCtxSetCurrent, or any CUDA runtime call)");
        }
        return PER_CONTEXT.computeIfAbsent(context, c -> LoadedKernels.load(driver, "optim"));
    }
}
