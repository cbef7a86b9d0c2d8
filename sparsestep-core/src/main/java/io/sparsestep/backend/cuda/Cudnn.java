package io.sparsestep.backend.cuda;

import io.sparsestep.backend.cuda.CudaLibraryLoader.CudnnLibraries;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;

import static io.sparsestep.backend.cuda.NativeBinder.DOUBLE;
import static io.sparsestep.backend.cuda.NativeBinder.FLOAT;
import static io.sparsestep.backend.cuda.NativeBinder.HANDLE;
import static io.sparsestep.backend.cuda.NativeBinder.INT;
import static io.sparsestep.backend.cuda.NativeBinder.PTR;
import static io.sparsestep.backend.cuda.NativeBinder.SIZE_T;

/**
 * One cuDNN handle bound to one stream, through cuDNN's legacy (descriptor) API, which
 * cuDNN 9 still ships in libcudnn_ops / libcudnn_cnn (and cuDNN 8 in its *_infer/_train
 * libraries). Only float32 NCHW tensors, cross-correlation and CUDNN_FMA_MATH convolutions
 * (no TF32 rounding, so results match the CPU backend to float precision).
 *
 * <p>Every scaling factor is alpha = 1, beta = 0 (outputs overwritten), passed as host
 * pointers to constants. Errors are {@link CudaException}s whose name comes from the
 * status table of the loaded major version and whose description is cudnnGetErrorString
 * plus, on cuDNN 9, cudnnGetLastErrorString (the detailed reason). Not thread-safe: one
 * handle, one stream, one thread at a time.
 */
public final class Cudnn implements AutoCloseable {
    static final int CUDNN_TENSOR_NCHW = 0;
    static final int CUDNN_DATA_FLOAT = 0;
    static final int CUDNN_CROSS_CORRELATION = 1;
    static final int CUDNN_DEFAULT_MATH = 0;
    static final int CUDNN_FMA_MATH = 3;
    static final int CUDNN_POOLING_AVERAGE_COUNT_EXCLUDE_PADDING = 2;
    static final int CUDNN_POOLING_MAX_DETERMINISTIC = 3;
    /** Max pooling passes a NaN in the window on, as the CPU twin does: a diverged activation must reach the loss. */
    static final int CUDNN_PROPAGATE_NAN = 1;
    static final int CUDNN_BATCHNORM_SPATIAL = 1;
    /** More than any cuDNN has algorithms per direction (8 forward, 6 backward data, 7 backward filter). */
    static final int MAX_ALGOS = 16;

    private final MethodHandle destroy, setStream, getErrorString;
    private final Optional<MethodHandle> getLastErrorString;
    private final MethodHandle createTensor, setTensor4d, destroyTensor;
    private final MethodHandle createFilter, setFilter4d, destroyFilter;
    private final MethodHandle createConv, setConv2d, setConvMathType, getConv2dOutputDim, destroyConv;
    private final MethodHandle findFwd, findBwdData, findBwdFilter;
    private final MethodHandle convFwd, convBwdData, convBwdFilter;
    private final MethodHandle createPooling, setPooling2d, getPooling2dOutputDim, destroyPooling, poolingFwd, poolingBwd;
    private final MethodHandle bnFwdTraining, bnFwdInference, bnBwd;

    private final long version;
    private final long cudartVersion;
    private final int major;
    private final String libraryPath;
    private final MemorySegment one;
    private final MemorySegment zero;
    private final long handle;
    private boolean closed;

    private Cudnn(CudnnLibraries libs, long stream, boolean withHandle) {
        // libcudnn.so.9 is a shim that exports the whole API and forwards to its sub-libraries; should a
        // build leave a legacy function out of the shim, the sub-library that implements it still has it.
        SymbolLookup symbols = libs.cudnn().lookup();
        for (CudaLibraryLoader.LoadedLibrary sub : libs.subLibraries()) symbols = symbols.or(sub.lookup());
        NativeBinder b = new NativeBinder(symbols, libs.cudnn().soname());
        libraryPath = libs.cudnn().describe();
        MethodHandle getVersion = b.bind("cudnnGetVersion", FunctionDescriptor.of(SIZE_T));
        Optional<MethodHandle> getCudart = b.bindOptional("cudnnGetCudartVersion", FunctionDescriptor.of(SIZE_T));
        MethodHandle create = b.bind("cudnnCreate", FunctionDescriptor.of(INT, PTR));
        destroy = b.bind("cudnnDestroy", FunctionDescriptor.of(INT, HANDLE));
        setStream = b.bind("cudnnSetStream", FunctionDescriptor.of(INT, HANDLE, HANDLE));
        getErrorString = b.bind("cudnnGetErrorString", FunctionDescriptor.of(PTR, INT));
        getLastErrorString = b.bindOptional("cudnnGetLastErrorString", FunctionDescriptor.ofVoid(PTR, SIZE_T));

        FunctionDescriptor createDesc = FunctionDescriptor.of(INT, PTR);
        FunctionDescriptor destroyDesc = FunctionDescriptor.of(INT, HANDLE);
        createTensor = b.bind("cudnnCreateTensorDescriptor", createDesc);
        // (desc, format, dataType, n, c, h, w)
        setTensor4d = b.bind("cudnnSetTensor4dDescriptor", FunctionDescriptor.of(INT, HANDLE, INT, INT, INT, INT, INT, INT));
        destroyTensor = b.bind("cudnnDestroyTensorDescriptor", destroyDesc);
        createFilter = b.bind("cudnnCreateFilterDescriptor", createDesc);
        // (desc, dataType, format, k, c, h, w): dataType before format, unlike the tensor call
        setFilter4d = b.bind("cudnnSetFilter4dDescriptor", FunctionDescriptor.of(INT, HANDLE, INT, INT, INT, INT, INT, INT));
        destroyFilter = b.bind("cudnnDestroyFilterDescriptor", destroyDesc);
        createConv = b.bind("cudnnCreateConvolutionDescriptor", createDesc);
        // (desc, pad_h, pad_w, u, v, dilation_h, dilation_w, mode, computeType)
        setConv2d = b.bind("cudnnSetConvolution2dDescriptor", FunctionDescriptor.of(INT, HANDLE, INT, INT, INT, INT, INT, INT, INT, INT));
        setConvMathType = b.bind("cudnnSetConvolutionMathType", FunctionDescriptor.of(INT, HANDLE, INT));
        getConv2dOutputDim = b.bind("cudnnGetConvolution2dForwardOutputDim", FunctionDescriptor.of(INT, HANDLE, HANDLE, HANDLE, PTR, PTR, PTR, PTR));
        destroyConv = b.bind("cudnnDestroyConvolutionDescriptor", destroyDesc);

        // Find(handle, desc1, desc2, convDesc, desc3, requested, *returned, *perfResults)
        FunctionDescriptor find = FunctionDescriptor.of(INT, HANDLE, HANDLE, HANDLE, HANDLE, HANDLE, INT, PTR, PTR);
        findFwd = b.bind("cudnnFindConvolutionForwardAlgorithm", find);
        findBwdData = b.bind("cudnnFindConvolutionBackwardDataAlgorithm", find);
        findBwdFilter = b.bind("cudnnFindConvolutionBackwardFilterAlgorithm", find);
        // (handle, *alpha, desc1, p1, desc2, p2, convDesc, algo, workSpace, workSpaceBytes, *beta, descOut, pOut)
        FunctionDescriptor conv = FunctionDescriptor.of(INT, HANDLE, PTR, HANDLE, HANDLE, HANDLE, HANDLE, HANDLE, INT,
                HANDLE, SIZE_T, PTR, HANDLE, HANDLE);
        convFwd = b.bind("cudnnConvolutionForward", conv);
        convBwdData = b.bind("cudnnConvolutionBackwardData", conv);
        convBwdFilter = b.bind("cudnnConvolutionBackwardFilter", conv);

        createPooling = b.bind("cudnnCreatePoolingDescriptor", createDesc);
        // (desc, mode, maxpoolingNanOpt, windowH, windowW, padH, padW, strideH, strideW)
        setPooling2d = b.bind("cudnnSetPooling2dDescriptor", FunctionDescriptor.of(INT, HANDLE, INT, INT, INT, INT, INT, INT, INT, INT));
        // (poolDesc, inputDesc, *n, *c, *h, *w)
        getPooling2dOutputDim = b.bind("cudnnGetPooling2dForwardOutputDim", FunctionDescriptor.of(INT, HANDLE, HANDLE, PTR, PTR, PTR, PTR));
        destroyPooling = b.bind("cudnnDestroyPoolingDescriptor", destroyDesc);
        // (handle, poolDesc, *alpha, xDesc, x, *beta, yDesc, y)
        poolingFwd = b.bind("cudnnPoolingForward", FunctionDescriptor.of(INT, HANDLE, HANDLE, PTR, HANDLE, HANDLE, PTR, HANDLE, HANDLE));
        // (handle, poolDesc, *alpha, yDesc, y, dyDesc, dy, xDesc, x, *beta, dxDesc, dx)
        poolingBwd = b.bind("cudnnPoolingBackward", FunctionDescriptor.of(INT, HANDLE, HANDLE, PTR, HANDLE, HANDLE, HANDLE, HANDLE,
                HANDLE, HANDLE, PTR, HANDLE, HANDLE));

        // (handle, mode, *alpha, *beta, xDesc, x, yDesc, y, bnDesc, scale, bias, expAvgFactor,
        //  runningMean, runningVar, epsilon, saveMean, saveInvVariance)
        bnFwdTraining = b.bind("cudnnBatchNormalizationForwardTraining", FunctionDescriptor.of(INT, HANDLE, INT, PTR, PTR,
                HANDLE, HANDLE, HANDLE, HANDLE, HANDLE, HANDLE, HANDLE, DOUBLE, HANDLE, HANDLE, DOUBLE, HANDLE, HANDLE));
        // (handle, mode, *alpha, *beta, xDesc, x, yDesc, y, bnDesc, scale, bias, estMean, estVar, epsilon)
        bnFwdInference = b.bind("cudnnBatchNormalizationForwardInference", FunctionDescriptor.of(INT, HANDLE, INT, PTR, PTR,
                HANDLE, HANDLE, HANDLE, HANDLE, HANDLE, HANDLE, HANDLE, HANDLE, HANDLE, DOUBLE));
        // (handle, mode, *alphaData, *betaData, *alphaParam, *betaParam, xDesc, x, dyDesc, dy, dxDesc, dx,
        //  bnDesc, scale, dScale, dBias, epsilon, savedMean, savedInvVariance)
        bnBwd = b.bind("cudnnBatchNormalizationBackward", FunctionDescriptor.of(INT, HANDLE, INT, PTR, PTR, PTR, PTR,
                HANDLE, HANDLE, HANDLE, HANDLE, HANDLE, HANDLE, HANDLE, HANDLE, HANDLE, HANDLE, DOUBLE, HANDLE, HANDLE));

        major = libs.major();
        MemorySegment constants = Arena.ofAuto().allocate(FLOAT, 2);
        constants.setAtIndex(FLOAT, 0, 1f);
        constants.setAtIndex(FLOAT, 1, 0f);
        one = constants.asSlice(0, 4);
        zero = constants.asSlice(4, 4);
        try (Arena arena = Arena.ofConfined()) {
            version = (long) getVersion.invokeExact();
            cudartVersion = getCudart.isPresent() ? (long) getCudart.get().invokeExact() : -1;
            if (withHandle) {
                MemorySegment out = arena.allocate(HANDLE);
                check((int) create.invokeExact(out), "cudnnCreate");
                handle = out.get(HANDLE, 0);
                check((int) setStream.invokeExact(handle, stream), "cudnnSetStream");
            } else {
                handle = 0;
            }
        } catch (Throwable t) {
            throw NativeBinder.rethrow(t);
        }
    }

    /** A handle on {@code stream}, created in the calling thread's current context. */
    public static Cudnn create(long stream) {
        return new Cudnn(CudaLibraries.cudnn(), stream, true);
    }

    static Cudnn create(CudnnLibraries libs, long stream) {
        return new Cudnn(libs, stream, true);
    }

    /**
     * The bound library without a handle: versions, status strings, descriptors and their
     * shape queries, which are host-side and work on a machine with cuDNN but no GPU
     * (cudnnCreate needs a device). Anything that runs on the device throws.
     */
    static Cudnn withoutHandle(CudnnLibraries libs) {
        return new Cudnn(libs, 0, false);
    }

    /** cudnnGetVersion(): 90100 for 9.1.0 (cuDNN 9 encodes major*10000), 8902 for 8.9.2 (cuDNN 8: major*1000). */
    public long version() { return version; }

    /** The CUDA runtime version cuDNN was built against (e.g. 13000), -1 if the library does not say. */
    public long cudartVersion() { return cudartVersion; }

    public int major() { return major; }

    public String library() { return libraryPath; }

    /** "9.1.0" from cudnnGetVersion's encoding, which changed from major*1000 (cuDNN 8) to major*10000 (cuDNN 9). */
    public static String versionString(long v) {
        if (v >= 90000) return (v / 10000) + "." + (v / 100 % 100) + "." + (v % 100);
        return (v / 1000) + "." + (v / 100 % 10) + "." + (v % 100);
    }

    // ------------------------------------------------------------------ descriptors

    long tensor4d(int n, int c, int h, int w) {
        long d = createDescriptor(createTensor, "cudnnCreateTensorDescriptor");
        try {
            check((int) setTensor4d.invokeExact(d, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, n, c, h, w),
                    "cudnnSetTensor4dDescriptor(" + n + "," + c + "," + h + "," + w + ")");
            return d;
        } catch (Throwable t) {
            destroyQuietly(destroyTensor, d);
            throw NativeBinder.rethrow(t);
        }
    }

    long filter4d(int k, int c, int r, int s) {
        long d = createDescriptor(createFilter, "cudnnCreateFilterDescriptor");
        try {
            check((int) setFilter4d.invokeExact(d, CUDNN_DATA_FLOAT, CUDNN_TENSOR_NCHW, k, c, r, s),
                    "cudnnSetFilter4dDescriptor(" + k + "," + c + "," + r + "," + s + ")");
            return d;
        } catch (Throwable t) {
            destroyQuietly(destroyFilter, d);
            throw NativeBinder.rethrow(t);
        }
    }

    /** Cross-correlation, float32 compute, no dilation, FMA math (no TF32). */
    long convolution2d(int padH, int padW, int strideH, int strideW) {
        long d = createDescriptor(createConv, "cudnnCreateConvolutionDescriptor");
        try {
            check((int) setConv2d.invokeExact(d, padH, padW, strideH, strideW, 1, 1, CUDNN_CROSS_CORRELATION, CUDNN_DATA_FLOAT),
                    "cudnnSetConvolution2dDescriptor");
            check((int) setConvMathType.invokeExact(d, CUDNN_FMA_MATH), "cudnnSetConvolutionMathType");
            return d;
        } catch (Throwable t) {
            destroyQuietly(destroyConv, d);
            throw NativeBinder.rethrow(t);
        }
    }

    /** cuDNN's output shape {n, k, h, w} for a convolution (a cross-check of ConvGeometry's arithmetic). */
    int[] convolutionOutput(long conv, long x, long w) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment n = arena.allocate(INT), c = arena.allocate(INT), h = arena.allocate(INT), ww = arena.allocate(INT);
            check((int) getConv2dOutputDim.invokeExact(conv, x, w, n, c, h, ww), "cudnnGetConvolution2dForwardOutputDim");
            return new int[] {n.get(INT, 0), c.get(INT, 0), h.get(INT, 0), ww.get(INT, 0)};
        } catch (Throwable t) {
            throw NativeBinder.rethrow(t);
        }
    }

    long pooling2d(int mode, int windowH, int windowW, int padH, int padW, int strideH, int strideW) {
        long d = createDescriptor(createPooling, "cudnnCreatePoolingDescriptor");
        try {
            check((int) setPooling2d.invokeExact(d, mode, CUDNN_PROPAGATE_NAN, windowH, windowW, padH, padW, strideH, strideW),
                    "cudnnSetPooling2dDescriptor");
            return d;
        } catch (Throwable t) {
            destroyQuietly(destroyPooling, d);
            throw NativeBinder.rethrow(t);
        }
    }

    /** cuDNN's output shape {n, c, h, w} for a pooling over {@code x} (a cross-check of PoolGeometry's arithmetic). */
    int[] poolingOutput(long pool, long x) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment n = arena.allocate(INT), c = arena.allocate(INT), h = arena.allocate(INT), w = arena.allocate(INT);
            check((int) getPooling2dOutputDim.invokeExact(pool, x, n, c, h, w), "cudnnGetPooling2dForwardOutputDim");
            return new int[] {n.get(INT, 0), c.get(INT, 0), h.get(INT, 0), w.get(INT, 0)};
        } catch (Throwable t) {
            throw NativeBinder.rethrow(t);
        }
    }

    /**
     * Fails when cuDNN's own output shape {@code cudnnShape} differs from ours: a disagreement
     * means a descriptor argument is wrong, and every later call would read or write the
     * wrong number of elements.
     */
    static void requireSameShape(int[] cudnnShape, Object geometry, int... ours) {
        if (!java.util.Arrays.equals(cudnnShape, ours)) {
            throw new IllegalStateException("cuDNN computes output " + java.util.Arrays.toString(cudnnShape) + " for " + geometry
                    + ", sparsestep " + java.util.Arrays.toString(ours));
        }
    }

    void destroyTensor(long d) { destroyQuietly(destroyTensor, d); }

    void destroyFilter(long d) { destroyQuietly(destroyFilter, d); }

    void destroyConvolution(long d) { destroyQuietly(destroyConv, d); }

    void destroyPooling(long d) { destroyQuietly(destroyPooling, d); }

    // ------------------------------------------------------------------ convolution

    /**
     * Benchmarks every forward algorithm on this geometry (cuDNN allocates its own buffers
     * for the trial runs), fastest first.
     */
    List<ConvAlgoPerf> findForward(long x, long w, long conv, long y) {
        return find(findFwd, "cudnnFindConvolutionForwardAlgorithm", x, w, conv, y);
    }

    List<ConvAlgoPerf> findBackwardData(long w, long dy, long conv, long dx) {
        return find(findBwdData, "cudnnFindConvolutionBackwardDataAlgorithm", w, dy, conv, dx);
    }

    List<ConvAlgoPerf> findBackwardFilter(long x, long dy, long conv, long dw) {
        return find(findBwdFilter, "cudnnFindConvolutionBackwardFilterAlgorithm", x, dy, conv, dw);
    }

    private List<ConvAlgoPerf> find(MethodHandle fn, String name, long d1, long d2, long conv, long d3) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment returned = arena.allocate(INT);
            MemorySegment perfs = arena.allocate(ConvAlgoPerf.LAYOUT, MAX_ALGOS);
            check((int) fn.invokeExact(handle(), d1, d2, conv, d3, MAX_ALGOS, returned, perfs), name);
            return ConvAlgoPerf.readAll(perfs, Math.min(returned.get(INT, 0), MAX_ALGOS));
        } catch (Throwable t) {
            throw NativeBinder.rethrow(t);
        }
    }

    /** y = conv(x, w) with {@code algo}; returns the raw status so the caller can try another algorithm. */
    int convolutionForward(long xDesc, long x, long wDesc, long w, long conv, int algo, long workspace, long workspaceBytes,
                           long yDesc, long y) {
        try {
            return (int) convFwd.invokeExact(handle(), one, xDesc, x, wDesc, w, conv, algo, workspace, workspaceBytes, zero, yDesc, y);
        } catch (Throwable t) {
            throw NativeBinder.rethrow(t);
        }
    }

    int convolutionBackwardData(long wDesc, long w, long dyDesc, long dy, long conv, int algo, long workspace, long workspaceBytes,
                                long dxDesc, long dx) {
        try {
            return (int) convBwdData.invokeExact(handle(), one, wDesc, w, dyDesc, dy, conv, algo, workspace, workspaceBytes, zero, dxDesc, dx);
        } catch (Throwable t) {
            throw NativeBinder.rethrow(t);
        }
    }

    int convolutionBackwardFilter(long xDesc, long x, long dyDesc, long dy, long conv, int algo, long workspace, long workspaceBytes,
                                  long dwDesc, long dw) {
        try {
            return (int) convBwdFilter.invokeExact(handle(), one, xDesc, x, dyDesc, dy, conv, algo, workspace, workspaceBytes, zero, dwDesc, dw);
        } catch (Throwable t) {
            throw NativeBinder.rethrow(t);
        }
    }

    // ------------------------------------------------------------------ pooling

    void poolingForward(long pool, long xDesc, long x, long yDesc, long y) {
        try {
            check((int) poolingFwd.invokeExact(handle(), pool, one, xDesc, x, zero, yDesc, y), "cudnnPoolingForward");
        } catch (Throwable t) {
            throw NativeBinder.rethrow(t);
        }
    }

    void poolingBackward(long pool, long yDesc, long y, long dyDesc, long dy, long xDesc, long x, long dxDesc, long dx) {
        try {
            check((int) poolingBwd.invokeExact(handle(), pool, one, yDesc, y, dyDesc, dy, xDesc, x, zero, dxDesc, dx),
                    "cudnnPoolingBackward");
        } catch (Throwable t) {
            throw NativeBinder.rethrow(t);
        }
    }

    // ------------------------------------------------------------------ batch norm (spatial: per channel over n, h, w)

    /**
     * cuDNN's running statistics: running = (1 - factor)*running + factor*batch, with the
     * batch variance unbiased (n/(n-1)) as PyTorch does; saveInvVariance = 1/sqrt(var + eps)
     * of the biased batch variance.
     */
    void batchNormForwardTraining(long xDesc, long x, long yDesc, long y, long bnDesc, long gamma, long beta, double factor,
                                  long runningMean, long runningVar, double eps, long saveMean, long saveInvStd) {
        try {
            check((int) bnFwdTraining.invokeExact(handle(), CUDNN_BATCHNORM_SPATIAL, one, zero, xDesc, x, yDesc, y, bnDesc, gamma, beta,
                    factor, runningMean, runningVar, eps, saveMean, saveInvStd), "cudnnBatchNormalizationForwardTraining");
        } catch (Throwable t) {
            throw NativeBinder.rethrow(t);
        }
    }

    void batchNormForwardInference(long xDesc, long x, long yDesc, long y, long bnDesc, long gamma, long beta,
                                   long mean, long var, double eps) {
        try {
            check((int) bnFwdInference.invokeExact(handle(), CUDNN_BATCHNORM_SPATIAL, one, zero, xDesc, x, yDesc, y, bnDesc, gamma, beta,
                    mean, var, eps), "cudnnBatchNormalizationForwardInference");
        } catch (Throwable t) {
            throw NativeBinder.rethrow(t);
        }
    }

    void batchNormBackward(long xDesc, long x, long dyDesc, long dy, long dxDesc, long dx, long bnDesc, long gamma,
                           long dGamma, long dBeta, double eps, long saveMean, long saveInvStd) {
        try {
            check((int) bnBwd.invokeExact(handle(), CUDNN_BATCHNORM_SPATIAL, one, zero, one, zero, xDesc, x, dyDesc, dy, dxDesc, dx,
                    bnDesc, gamma, dGamma, dBeta, eps, saveMean, saveInvStd), "cudnnBatchNormalizationBackward");
        } catch (Throwable t) {
            throw NativeBinder.rethrow(t);
        }
    }

    // ------------------------------------------------------------------ errors

    /** Whether a status from an execution call means "not with this algorithm/these pointers" rather than a real failure. */
    boolean rejectsArguments(int status) {
        return CudaErrorNames.cudnnRejectsArguments(status, major);
    }

    void check(int status, String function) {
        if (status == 0) return;
        throw new CudaException("cuDNN", function, status, CudaErrorNames.cudnnStatus(status, major), describe(status));
    }

    private String describe(int status) {
        String text = null;
        try {
            text = NativeBinder.cString((MemorySegment) getErrorString.invokeExact(status));
        } catch (Throwable ignored) {
            // name only
        }
        if (getLastErrorString.isPresent()) {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment buffer = arena.allocate(1024);
                getLastErrorString.get().invokeExact(buffer, 1024L);
                String last = buffer.getString(0, StandardCharsets.UTF_8).strip();
                if (!last.isEmpty()) text = (text == null ? "" : text + "; ") + last;
            } catch (Throwable ignored) {
                // the status string alone
            }
        }
        return text;
    }

    private long handle() {
        if (handle == 0) throw new IllegalStateException("this cuDNN instance has no handle (made for descriptor work on a host without a GPU)");
        return handle;
    }

    /** cudnnGetErrorString for {@code status}: the library's own name for it. */
    String libraryStatusName(int status) {
        try {
            return NativeBinder.cString((MemorySegment) getErrorString.invokeExact(status));
        } catch (Throwable t) {
            throw NativeBinder.rethrow(t);
        }
    }

    private long createDescriptor(MethodHandle create, String name) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(HANDLE);
            check((int) create.invokeExact(out), name);
            return out.get(HANDLE, 0);
        } catch (Throwable t) {
            throw NativeBinder.rethrow(t);
        }
    }

    private static void destroyQuietly(MethodHandle destroy, long descriptor) {
        try {
            int ignored = (int) destroy.invokeExact(descriptor);
        } catch (Throwable ignored) {
            // a descriptor is host memory; nothing to recover
        }
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        if (handle == 0) return;
        try {
            check((int) destroy.invokeExact(handle), "cudnnDestroy");
        } catch (Throwable t) {
            throw NativeBinder.rethrow(t);
        }
    }
}
