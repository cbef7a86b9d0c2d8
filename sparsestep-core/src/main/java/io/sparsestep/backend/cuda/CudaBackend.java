package io.sparsestep.backend.cuda;

import io.sparsestep.backend.Backend;
import io.sparsestep.backend.BackendOutOfMemoryException;
import io.sparsestep.backend.Buffer;
import io.sparsestep.backend.ConvGeometry;
import io.sparsestep.backend.DType;
import io.sparsestep.backend.ElementwiseOps;
import io.sparsestep.backend.GroupOps;
import io.sparsestep.backend.LossOps;
import io.sparsestep.backend.MaskOps;
import io.sparsestep.backend.PoolGeometry;
import io.sparsestep.backend.PoolMode;
import io.sparsestep.backend.SelectOps;
import io.sparsestep.backend.StepOps;
import io.sparsestep.backend.Tensor;
import io.sparsestep.backend.VectorOps;
import io.sparsestep.backend.WrapChecks;
import io.sparsestep.backend.cuda.CudaLibraryLoader.CublasLibraries;
import io.sparsestep.backend.cuda.CudaLibraryLoader.CudnnLibraries;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

/**
 * The GPU backend: sparsestep's PTX kernels behind the op families (one {@code Cuda<Family>}
 * per {@code kernels/*.cu}: elementwise, loss, vector, mask, optim, group); cuBLAS for GEMM; cuDNN
 * for convolution, pooling and batch norm (core ops, here). All of it bound with
 * java.lang.foreign, no JNI.
 *
 * <p><b>Execution.</b> One device (the primary context, shared with any CUDA runtime user
 * in the process) and one stream; every op is enqueued on that stream in call order and
 * returns at once, except {@link #download}, {@link #readCounter}, {@link #synchronize} and
 * the family ops that return a count ({@code elementwise().countZeros}, {@code masks().countKept},
 * the vector reductions), which wait. An error of an asynchronous op (a faulting kernel)
 * surfaces at the next waiting call.
 *
 * <p><b>Threads.</b> Not thread-safe: use it from one thread at a time. It may be a
 * different thread each time, a virtual one too: every op first makes this backend's
 * context current (one cheap driver call) and leaves it current, so two backends can share
 * a thread; an embedding framework that uses its own context on the same thread must make
 * it current again after calling in ({@link CudaFusedSteps} instead runs in whatever
 * context is current).
 *
 * <p><b>Memory.</b> {@link #allocate} is one cuMemAlloc per buffer; ops allocate nothing.
 * cuDNN descriptors and algorithm choices are cached per geometry and made when the
 * geometry is first queried through {@link #convWorkspaceWords}: when a network is planned
 * (full batch) and, for the smaller last batches, through {@code Network.build}'s other
 * batch sizes, so before the network's memory is allocated (cudnnFind allocates its own
 * trial buffers, freed before it returns, and measures best on an empty GPU).
 *
 * <p><b>Convolution workspace.</b> For each geometry cudnnFind* measures every algorithm
 * of the three passes once; {@link #convWorkspaceWords} is the largest need among the
 * fastest algorithm of each pass that fits in {@value #CONV_WORKSPACE_CAP_BYTES} bytes
 * (256 MiB). A call then runs the fastest algorithm that fits the workspace view it is
 * given, so a smaller workspace still works, with slower algorithms. Convolutions use
 * CUDNN_FMA_MATH: never TF32, so results agree with the CPU backend to float rounding.
 */
public final class CudaBackend implements Backend {
    /** Upper bound on the workspace one convolution is given when algorithms are chosen. */
    public static final long CONV_WORKSPACE_CAP_BYTES = 256L << 20;
    /** CUresult of a failed cuMemAlloc when the device is full. */
    static final int CUDA_ERROR_OUT_OF_MEMORY = 2;
    private static final String[] MODULES = KernelSignature.modules();

    private static Optional<String> cachedUnavailableReason;

    private final CudaDriver driver;
    private final int device;
    private final long context;
    private final DeviceInfo info;
    private String libraryVersions = "";
    private long stream;
    private LoadedKernels kernels;
    private Cublas cublas;
    private Cudnn cudnn;
    private long counterScratch;
    /** Per-block partial sums of the vector reductions, then their total: (8 * SMs + 1) doubles. */
    private long reductionScratch;
    private CudaVectorOps vectors;
    private CudaMaskOps masks;
    private CudaSelectOps selects;
    private CudaStepOps steps;
    private CudaGroupOps groups;
    private CudaElementwiseOps elementwise;
    private CudaLossOps loss;
    private final MemorySegment hostWord = Arena.ofAuto().allocate(8, 8);

    private final Set<CudaBuffer> live = Collections.newSetFromMap(new IdentityHashMap<>());
    private long allocations;
    private long bytesInUse;
    private long peakBytes;

    private final Map<ConvGeometry, ConvPlan> convPlans = new HashMap<>();
    private final Map<PoolPlan.Key, PoolPlan> poolPlans = new HashMap<>();
    private final Map<BatchNormPlan.Key, BatchNormPlan> bnPlans = new HashMap<>();

    private volatile boolean closed;

    /** What {@link CudaDoctor} and {@link #description()} report about the GPU. */
    public record DeviceInfo(int ordinal, String name, int ccMajor, int ccMinor, int multiprocessors, long totalBytes,
                             int driverCudaVersion) {
        public String computeCapability() { return ccMajor + "." + ccMinor; }

        public static String cudaVersionString(int v) { return (v / 1000) + "." + (v % 1000 / 10); }
    }

    /** Opens device 0. */
    public static CudaBackend open() {
        return open(0);
    }

    /**
     * Opens a device: loads libcuda, cuBLAS, cuDNN and the PTX kernels, retains the primary
     * context, creates the stream and the library handles. Throws the one-line
     * {@link CudaUnavailableException} when any of that is missing (no GPU, no driver,
     * libraries not found, PTX not built).
     */
    public static CudaBackend open(int ordinal) {
        try {
            CudaDriver driver = CudaDriver.get();
            int count = driver.deviceCount();
            if (count == 0) throw new CudaUnavailableException("CUDA unavailable: the driver loaded but sees no GPU (cuDeviceGetCount = 0)");
            if (ordinal < 0 || ordinal >= count) {
                throw new IllegalArgumentException("CUDA device " + ordinal + " does not exist; this machine has " + count + " (0.." + (count - 1) + ")");
            }
            CublasLibraries blas = CudaLibraries.cublas();
            CudnnLibraries dnn = CudaLibraries.cudnn();
            for (String module : MODULES) LoadedKernels.readPtx(module);
            return new CudaBackend(driver, ordinal, blas, dnn, LoadedKernels::readPtx);
        } catch (CudaException e) {
            throw new CudaUnavailableException("CUDA unavailable: " + e.getMessage(), e);
        }
    }

    /** A backend on explicitly given libraries and PTX (tests run it on a fake CUDA stack). */
    static CudaBackend open(CudaDriver driver, int ordinal, CublasLibraries blas, CudnnLibraries dnn, Function<String, byte[]> ptx) {
        return new CudaBackend(driver, ordinal, blas, dnn, ptx);
    }

    /**
     * Why {@link #open()} would fail here, or empty when CUDA works. Tries once per JVM (a
     * full open and close) and remembers the answer; for tests and {@code --device auto}.
     */
    public static synchronized Optional<String> unavailableReason() {
        if (cachedUnavailableReason == null) {
            try {
                open().close();
                cachedUnavailableReason = Optional.empty();
            } catch (CudaUnavailableException e) {
                cachedUnavailableReason = Optional.of(e.getMessage());
            } catch (RuntimeException | LinkageError e) {
                cachedUnavailableReason = Optional.of(CudaUnavailableException.oneLine("CUDA unavailable: " + e));
            }
        }
        return cachedUnavailableReason;
    }

    private CudaBackend(CudaDriver driver, int ordinal, CublasLibraries blas, CudnnLibraries dnn, Function<String, byte[]> ptx) {
        this.driver = driver;
        this.device = driver.device(ordinal);
        this.context = driver.primaryContextRetain(device);
        try {
            driver.setCurrent(context);
            info = new DeviceInfo(ordinal, driver.deviceName(device),
                    driver.attribute(CudaDriver.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, device),
                    driver.attribute(CudaDriver.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, device),
                    driver.attribute(CudaDriver.CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT, device),
                    driver.totalMemory(device), driver.driverVersion());
            stream = driver.streamCreate(CudaDriver.CU_STREAM_DEFAULT);
            kernels = LoadedKernels.load(driver, ptx, MODULES);
            cublas = Cublas.create(blas, stream);
            cudnn = Cudnn.create(dnn, stream);
            libraryVersions = "cuBLAS " + cublasVersionString(cublas.version()) + ", cuDNN " + Cudnn.versionString(cudnn.version());
            counterScratch = driver.memAlloc(16);
            reductionScratch = driver.memAlloc(8L * (maxFlatGrid() + 1));
            vectors = new CudaVectorOps(this);
            masks = new CudaMaskOps(this);
            selects = new CudaSelectOps(this);
            steps = new CudaStepOps(this);
            groups = new CudaGroupOps(this);
            elementwise = new CudaElementwiseOps(this);
            loss = new CudaLossOps(this);
        } catch (RuntimeException e) {
            releaseResources();
            throw e;
        }
    }

    // ------------------------------------------------------------------ identity

    @Override
    public String name() { return "cuda"; }

    @Override
    public String description() {
        return String.format(Locale.ROOT, "%s (sm_%d%d, %d SMs, %.1f GiB), driver CUDA %s, %s",
                info.name(), info.ccMajor(), info.ccMinor(), info.multiprocessors(), info.totalBytes() / (double) (1L << 30),
                DeviceInfo.cudaVersionString(info.driverCudaVersion()), libraryVersions);
    }

    public DeviceInfo deviceInfo() { return info; }

    /** The CUstream every op is enqueued on (for interop with {@link CudaFusedSteps} or other CUDA code). */
    public long stream() { return stream; }

    /** The primary context of the device. */
    public long context() { return context; }

    Cublas cublas() { return cublas; }

    Cudnn cudnn() { return cudnn; }

    CudaDriver driver() { return driver; }

    static String cublasVersionString(int v) {
        return (v / 10000) + "." + (v / 100 % 100) + "." + (v % 100);
    }

    // ------------------------------------------------------------------ memory

    @Override
    public synchronized Buffer allocate(long words, String label) {
        enter();
        if (words < 0) throw new IllegalArgumentException("cannot allocate " + words + " words for '" + label + "'");
        long address;
        try {
            address = driver.memAlloc(4 * Math.max(1, words));
        } catch (CudaException e) {
            if (e.code() == CUDA_ERROR_OUT_OF_MEMORY) {
                throw new BackendOutOfMemoryException("GPU", label, 4 * words, bytesInUse, e);
            }
            throw e;
        }
        try {
            driver.memsetD32Async(address, 0, Math.max(1, words), stream);
        } catch (RuntimeException e) {
            driver.memFree(address);
            throw e;
        }
        CudaBuffer b = new CudaBuffer(this, address, words, label, true);
        live.add(b);
        allocations++;
        bytesInUse += 4 * words;
        peakBytes = Math.max(peakBytes, bytesInUse);
        return b;
    }

    /**
     * {@inheritDoc}
     *
     * <p>On CUDA: a device pointer (CUdeviceptr) in this backend's context, the primary
     * context of {@link #deviceInfo()}'s device, which is what the CUDA runtime (and
     * PyTorch, JAX, ...) allocate in. The pointer is not asked about: this backend does not
     * bind cuPointerGetAttribute, so memory of another device or context, host memory or a
     * range shorter than {@code 4 * words} bytes is not refused here; the first kernel on it
     * faults (CUDA_ERROR_ILLEGAL_ADDRESS at the next waiting call, and the context is lost)
     * or, inside another allocation, silently writes there. The kernels take float4 loads
     * when the pointers of one op agree modulo 16 bytes; an optimizer's own state buffers
     * are 256-byte aligned, so a 16-byte aligned pointer is the fast path, any 4-byte
     * aligned one still works.
     */
    @Override
    public synchronized Buffer wrap(long devicePointer, long words, String label) {
        String name = label == null ? "unnamed" : label;
        enter();
        WrapChecks.range(devicePointer, words, name);
        // Not in `live` and not counted: this backend allocated nothing, and close() frees nothing of it.
        return new CudaBuffer(this, devicePointer, words, name, false);
    }

    /** Closing a wrapped buffer: nothing to free, but its owner may free the memory next, so queued work on it must finish. */
    synchronized void unwrap(CudaBuffer b) {
        if (!b.markClosed() || closed) return;
        enter();
        driver.streamSynchronize(stream);
    }

    synchronized void free(CudaBuffer b) {
        if (!b.markClosed()) return;
        live.remove(b);
        bytesInUse -= 4 * b.words();
        if (closed) return; // the context is gone; its memory went with it
        enter();
        // A kernel still queued may read this memory: finish the stream before handing it back.
        driver.streamSynchronize(stream);
        driver.memFree(b.rawAddress());
    }

    @Override
    public synchronized long allocationCount() { return allocations; }

    @Override
    public synchronized long bytesInUse() { return bytesInUse; }

    @Override
    public synchronized long peakBytes() { return peakBytes; }

    /**
     * Copies host floats into a view, enqueued on the stream. Pageable memory (any Arena
     * segment) is staged by the driver before this returns, so the segment may be reused at
     * once (CUDA runtime API reference, "API synchronization behavior": an async copy from
     * pageable host memory returns once the buffer has been copied to staging memory); heap
     * segments go through a temporary native copy.
     */
    @Override
    public void upload(MemorySegment hostFloats, Tensor dst) {
        enter();
        long dev = ptr(dst, "upload destination", dst.dtype());
        long bytes = dst.byteSize();
        requireHostBytes(hostFloats, bytes, "upload");
        if (bytes == 0) return;
        if (hostFloats.isNative()) {
            driver.memcpyHtoDAsync(dev, hostFloats, bytes, stream);
        } else {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment staging = arena.allocate(bytes, 16);
                staging.copyFrom(hostFloats.asSlice(0, bytes));
                driver.memcpyHtoDAsync(dev, staging, bytes, stream);
                driver.streamSynchronize(stream);
            }
        }
    }

    @Override
    public void download(Tensor src, MemorySegment hostFloats) {
        enter();
        long dev = ptr(src, "download source", src.dtype());
        long bytes = src.byteSize();
        requireHostBytes(hostFloats, bytes, "download");
        if (hostFloats.isNative()) {
            if (bytes > 0) driver.memcpyDtoHAsync(hostFloats, dev, bytes, stream);
            driver.streamSynchronize(stream);
        } else {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment staging = arena.allocate(Math.max(bytes, 4), 16);
                if (bytes > 0) driver.memcpyDtoHAsync(staging, dev, bytes, stream);
                driver.streamSynchronize(stream);
                hostFloats.asSlice(0, bytes).copyFrom(staging.asSlice(0, bytes));
            }
        }
    }

    @Override
    public void synchronize() {
        enter();
        driver.streamSynchronize(stream);
    }

    // ------------------------------------------------------------------ core copy and counter read, the op families

    @Override
    public void copy(Tensor src, Tensor dst) {
        enter();
        sameSize("copy", src, dst);
        long s = ptr(src, "copy source"), d = ptr(dst, "copy destination");
        if (src.size() > 0 && s != d) driver.memcpyDtoDAsync(d, s, 4 * src.size(), stream);
    }

    @Override
    public VectorOps vectors() { return vectors; }

    @Override
    public MaskOps masks() { return masks; }

    @Override
    public StepOps steps() { return steps; }

    @Override
    public SelectOps selects() { return selects; }

    @Override
    public GroupOps groups() { return groups; }

    @Override
    public ElementwiseOps elementwise() { return elementwise; }

    @Override
    public LossOps loss() { return loss; }

    @Override
    public long readCounter(Tensor counter) {
        enter();
        long p = ptr(counter, "counter");
        if (counter.size() < 1) throw new IllegalArgumentException("readCounter needs a view of at least one word, got " + counter);
        return readWord(p);
    }

    long readWord(long devicePointer) {
        driver.memcpyDtoHAsync(hostWord, devicePointer, 4, stream);
        driver.streamSynchronize(stream);
        return Integer.toUnsignedLong(hostWord.get(ValueLayout.JAVA_INT, 0));
    }

    double readDouble(long devicePointer) {
        driver.memcpyDtoHAsync(hostWord, devicePointer, 8, stream);
        driver.streamSynchronize(stream);
        return hostWord.get(ValueLayout.JAVA_DOUBLE, 0);
    }

    /** The largest grid {@link LaunchConfig#flat} gives on this device. */
    int maxFlatGrid() { return Math.max(1, info.multiprocessors()) * LaunchConfig.BLOCKS_PER_SM; }

    // package-private access for the op families (CudaElementwiseOps, CudaLossOps, CudaVectorOps, CudaMaskOps, CudaSelectOps, CudaStepOps, CudaGroupOps)
    LoadedKernels kernels() { return kernels; }
    long counterScratch() { return counterScratch; }
    long reductionScratch() { return reductionScratch; }
    int multiprocessors() { return info.multiprocessors(); }

    // ------------------------------------------------------------------ dense

    @Override
    public void gemm(boolean transA, boolean transB, int m, int n, int k, float alpha, Tensor a, Tensor b, float beta, Tensor c) {
        enter();
        GemmMapping g = GemmMapping.rowMajor(transA, transB, m, n, k);
        atLeast("gemm A", a, (long) m * k);
        atLeast("gemm B", b, (long) k * n);
        atLeast("gemm C", c, (long) m * n);
        cublas.sgemmRowMajor(g, alpha, ptr(a, "gemm A"), ptr(b, "gemm B"), beta, ptr(c, "gemm C"));
    }

    // ------------------------------------------------------------------ convolution

    @Override
    public long convWorkspaceWords(ConvGeometry g) {
        enter();
        return Math.ceilDiv(convPlan(g).workspaceBytes(CONV_WORKSPACE_CAP_BYTES), 4);
    }

    /** cudnnFind ranks by measured time, so a smaller batch's fastest choice may want more scratch than the full batch's; what it needs at least is its leanest working algorithms. */
    @Override
    public long convMinWorkspaceWords(ConvGeometry g) {
        enter();
        return Math.ceilDiv(convPlan(g).leastWorkspaceBytes(), 4);
    }

    @Override
    public void convForward(ConvGeometry g, Tensor x, Tensor w, Tensor y, Tensor workspace) {
        enter();
        long px = input(x, "convForward x", g.inputSize()), pw = input(w, "convForward w", g.filterSize());
        long py = input(y, "convForward y", g.outputSize());
        long ws = workspace == null ? 0 : ptr(workspace, "conv workspace");
        long wsBytes = workspace == null ? 0 : 4 * workspace.size();
        ConvPlan plan = convPlan(g);
        plan.run(ConvPlan.Direction.FORWARD, wsBytes, misaligned(px, pw, py, ws),
                algo -> cudnn.convolutionForward(plan.x, px, plan.w, pw, plan.conv, algo, ws, wsBytes, plan.y, py));
    }

    @Override
    public void convBackwardData(ConvGeometry g, Tensor dy, Tensor w, Tensor dx, Tensor workspace) {
        enter();
        long pdy = input(dy, "convBackwardData dy", g.outputSize()), pw = input(w, "convBackwardData w", g.filterSize());
        long pdx = input(dx, "convBackwardData dx", g.inputSize());
        long ws = workspace == null ? 0 : ptr(workspace, "conv workspace");
        long wsBytes = workspace == null ? 0 : 4 * workspace.size();
        ConvPlan plan = convPlan(g);
        plan.run(ConvPlan.Direction.BACKWARD_DATA, wsBytes, misaligned(pdy, pw, pdx, ws),
                algo -> cudnn.convolutionBackwardData(plan.w, pw, plan.y, pdy, plan.conv, algo, ws, wsBytes, plan.x, pdx));
    }

    @Override
    public void convBackwardFilter(ConvGeometry g, Tensor x, Tensor dy, Tensor dw, Tensor workspace) {
        enter();
        long px = input(x, "convBackwardFilter x", g.inputSize()), pdy = input(dy, "convBackwardFilter dy", g.outputSize());
        long pdw = input(dw, "convBackwardFilter dw", g.filterSize());
        long ws = workspace == null ? 0 : ptr(workspace, "conv workspace");
        long wsBytes = workspace == null ? 0 : 4 * workspace.size();
        ConvPlan plan = convPlan(g);
        plan.run(ConvPlan.Direction.BACKWARD_FILTER, wsBytes, misaligned(px, pdy, pdw, ws),
                algo -> cudnn.convolutionBackwardFilter(plan.x, px, plan.y, pdy, plan.conv, algo, ws, wsBytes, plan.w, pdw));
    }

    private ConvPlan convPlan(ConvGeometry g) {
        ConvPlan p = convPlans.get(g);
        if (p == null) {
            p = new ConvPlan(cudnn, g);
            convPlans.put(g, p);
        }
        return p;
    }

    // ------------------------------------------------------------------ pooling

    @Override
    public void poolForward(PoolMode mode, PoolGeometry g, Tensor x, Tensor y) {
        enter();
        PoolPlan p = poolPlan(mode, g);
        cudnn.poolingForward(p.pool, p.x, input(x, "poolForward x", g.inputSize()), p.y, input(y, "poolForward y", g.outputSize()));
    }

    @Override
    public void poolBackward(PoolMode mode, PoolGeometry g, Tensor x, Tensor y, Tensor dy, Tensor dx) {
        enter();
        PoolPlan p = poolPlan(mode, g);
        cudnn.poolingBackward(p.pool, p.y, input(y, "poolBackward y", g.outputSize()), p.y, input(dy, "poolBackward dy", g.outputSize()),
                p.x, input(x, "poolBackward x", g.inputSize()), p.x, input(dx, "poolBackward dx", g.inputSize()));
    }

    private PoolPlan poolPlan(PoolMode mode, PoolGeometry g) {
        PoolPlan.Key key = new PoolPlan.Key(mode, g);
        PoolPlan p = poolPlans.get(key);
        if (p == null) {
            p = new PoolPlan(cudnn, mode, g);
            poolPlans.put(key, p);
        }
        return p;
    }

    // ------------------------------------------------------------------ batch norm

    @Override
    public void batchNormForwardTraining(int n, int channels, int spatial, Tensor x, Tensor y, Tensor gamma, Tensor beta,
                                         Tensor runningMean, Tensor runningVar, Tensor saveMean, Tensor saveInvStd,
                                         float momentum, float eps) {
        enter();
        long total = positiveProduct("batchNormForwardTraining", n, channels, spatial);
        BatchNormPlan p = bnPlan(n, channels, spatial);
        cudnn.batchNormForwardTraining(p.x, input(x, "batch norm x", total), p.x, input(y, "batch norm y", total), p.channel,
                input(gamma, "batch norm gamma", channels), input(beta, "batch norm beta", channels), momentum,
                input(runningMean, "batch norm runningMean", channels), input(runningVar, "batch norm runningVar", channels), eps,
                input(saveMean, "batch norm saveMean", channels), input(saveInvStd, "batch norm saveInvStd", channels));
    }

    @Override
    public void batchNormForwardInference(int n, int channels, int spatial, Tensor x, Tensor y, Tensor gamma, Tensor beta,
                                          Tensor runningMean, Tensor runningVar, float eps) {
        enter();
        long total = positiveProduct("batchNormForwardInference", n, channels, spatial);
        BatchNormPlan p = bnPlan(n, channels, spatial);
        cudnn.batchNormForwardInference(p.x, input(x, "batch norm x", total), p.x, input(y, "batch norm y", total), p.channel,
                input(gamma, "batch norm gamma", channels), input(beta, "batch norm beta", channels),
                input(runningMean, "batch norm runningMean", channels), input(runningVar, "batch norm runningVar", channels), eps);
    }

    @Override
    public void batchNormBackward(int n, int channels, int spatial, Tensor x, Tensor dy, Tensor gamma, Tensor saveMean,
                                  Tensor saveInvStd, Tensor dx, Tensor dgamma, Tensor dbeta, float eps) {
        enter();
        long total = positiveProduct("batchNormBackward", n, channels, spatial);
        BatchNormPlan p = bnPlan(n, channels, spatial);
        cudnn.batchNormBackward(p.x, input(x, "batch norm x", total), p.x, input(dy, "batch norm dy", total), p.x,
                input(dx, "batch norm dx", total), p.channel, input(gamma, "batch norm gamma", channels),
                input(dgamma, "batch norm dgamma", channels), input(dbeta, "batch norm dbeta", channels), eps,
                input(saveMean, "batch norm saveMean", channels), input(saveInvStd, "batch norm saveInvStd", channels));
    }

    private BatchNormPlan bnPlan(int n, int channels, int spatial) {
        BatchNormPlan.Key key = new BatchNormPlan.Key(n, channels, spatial);
        BatchNormPlan p = bnPlans.get(key);
        if (p == null) {
            p = new BatchNormPlan(cudnn, key);
            bnPlans.put(key, p);
        }
        return p;
    }

    // ------------------------------------------------------------------ lifecycle

    @Override
    public synchronized void close() {
        if (closed) return;
        try {
            enter();
            driver.streamSynchronize(stream);
        } catch (RuntimeException ignored) {
            // a sticky error from an earlier op; free what we can anyway
        }
        for (CudaBuffer b : new ArrayList<>(live)) {
            if (b.markClosed()) {
                try {
                    driver.memFree(b.rawAddress());
                } catch (RuntimeException ignored) {
                    // keep freeing the rest
                }
            }
        }
        live.clear();
        bytesInUse = 0;
        closed = true;
        releaseResources();
    }

    private void releaseResources() {
        List<AutoCloseable> plans = new ArrayList<>();
        plans.addAll(convPlans.values());
        plans.addAll(poolPlans.values());
        plans.addAll(bnPlans.values());
        convPlans.clear();
        poolPlans.clear();
        bnPlans.clear();
        for (AutoCloseable p : plans) quietly(p::close);
        if (cudnn != null) quietly(cudnn::close);
        if (cublas != null) quietly(cublas::close);
        if (kernels != null) quietly(kernels::close);
        if (counterScratch != 0) quietly(() -> driver.memFree(counterScratch));
        if (reductionScratch != 0) quietly(() -> driver.memFree(reductionScratch));
        if (stream != 0) quietly(() -> driver.streamDestroy(stream));
        quietly(() -> driver.primaryContextRelease(device));
        // Code that used CudaFusedSteps on this context cached a module in it. While anyone
        // else (another backend, a framework) still holds the primary context, that module
        // stays valid and in use; once the context is gone, so is the module.
        quietly(() -> {
            if (!driver.primaryContextActive(device)) CudaFusedSteps.forgetDestroyedContext(context);
        });
        cudnn = null;
        cublas = null;
        kernels = null;
        counterScratch = 0;
        reductionScratch = 0;
        stream = 0;
    }

    private static void quietly(AutoCloseable action) {
        try {
            action.close();
        } catch (Exception ignored) {
            // closing: nothing useful to do with a second failure
        }
    }

    // ------------------------------------------------------------------ checks

    /**
     * Makes this backend's context current, on every call: the driver keeps the current
     * context per OS thread, which a Java thread does not pin (a virtual thread moves between
     * carriers), and another backend or an embedding framework may have switched it on this
     * thread since. cuCtxSetCurrent costs well under a microsecond.
     */
    void enter() {
        if (closed) throw new IllegalStateException("the CUDA backend was closed");
        driver.setCurrent(context);
    }

    long ptr(Tensor t, String what) {
        return ptr(t, what, DType.F32);
    }

    /** Device address of a view of element type {@code dtype} on this backend. */
    long ptr(Tensor t, String what, DType dtype) {
        if (t == null) throw new IllegalArgumentException(what + " is null");
        if (!(t.buffer() instanceof CudaBuffer b) || b.backend() != this) {
            throw new IllegalArgumentException(what + " " + t + " lives on the " + t.backend().name()
                    + " backend, not on this CUDA backend; upload it first");
        }
        b.requireOpen();
        t.require(dtype, what);
        return t.address();
    }

    long input(Tensor t, String what, long elements) {
        atLeast(what, t, elements);
        return ptr(t, what);
    }

    static void atLeast(String what, Tensor t, long elements) {
        if (t == null) throw new IllegalArgumentException(what + " is null");
        if (t.size() < elements) {
            throw new IllegalArgumentException(what + " " + t + " has " + t.size() + " elements, the op needs " + elements);
        }
    }

    static void sameSize(String op, Tensor a, Tensor b) {
        if (a == null || b == null) throw new IllegalArgumentException(op + ": a tensor argument is null");
        if (a.size() != b.size()) throw new IllegalArgumentException(op + ": sizes differ, " + a + " vs " + b);
    }

    static long positiveProduct(String op, int a, int b, int c) {
        if (a <= 0 || b <= 0 || c <= 0) throw new IllegalArgumentException(op + ": dimensions must be positive, got " + a + ", " + b + ", " + c);
        return (long) a * b * c;
    }

    private static void requireHostBytes(MemorySegment host, long bytes, String op) {
        if (host == null) throw new IllegalArgumentException(op + ": host segment is null");
        if (host.byteSize() < bytes) {
            throw new IllegalArgumentException(op + " needs " + bytes + " host bytes, the segment has " + host.byteSize());
        }
    }

    /** Whether any non-null pointer is off a 16-byte boundary (cuDNN's vectorised algorithms want 16). */
    static boolean misaligned(long... pointers) {
        for (long p : pointers) {
            if (p != 0 && (p & 15) != 0) return true;
        }
        return false;
    }
}
