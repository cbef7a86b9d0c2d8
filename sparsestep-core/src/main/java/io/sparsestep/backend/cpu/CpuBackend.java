package io.sparsestep.backend.cpu;

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

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The pure-Java backend: off-heap float32 buffers, kernels written with the Vector API,
 * work split over a fixed pool of threads. It is the reference every CUDA op is tested
 * against and what training runs on without a GPU.
 *
 * <p>Every op runs to completion before it returns (so {@link #synchronize()} has nothing
 * to wait for). Not thread-safe: one thread drives a backend at a time, as one thread
 * drives a CUDA stream. Ops check cheaply that their views live on this backend and are
 * large enough, and take scratch only from the workspace they are handed.
 */
public final class CpuBackend implements Backend {
    /**
     * Floats per parallel chunk of an elementwise op (256 KiB, some 10-30 microseconds of
     * one core): waking a parked worker can take tens of microseconds, so smaller
     * streaming ops run on the calling thread alone. Package-private so tests size views to
     * be split across workers.
     */
    static final int CHUNK = 1 << 16;

    private final Parallel parallel;
    /** Per worker, the 2x2 max pool's window runs (grown once to the largest plane, then reused: a step allocates nothing). */
    private final float[][] poolScratch;
    private final CpuVectorOps vectors = new CpuVectorOps(this);
    private final CpuMaskOps masks = new CpuMaskOps(this);
    private final CpuStepOps steps;
    private final CpuSelectOps selects;
    private final CpuGroupOps groups;
    private final CpuElementwiseOps elementwise;
    private final CpuLossOps loss;
    private final CpuGemm gemm;
    private final CpuConvolution conv;
    private final Set<CpuBuffer> live = ConcurrentHashMap.newKeySet();
    private final AtomicLong allocations = new AtomicLong();
    private final AtomicLong bytesInUse = new AtomicLong();
    private final AtomicLong peakBytes = new AtomicLong();
    private volatile boolean closed;

    /** A backend using every available processor. */
    public CpuBackend() {
        this(Runtime.getRuntime().availableProcessors());
    }

    public CpuBackend(int threads) {
        if (threads < 1) throw new IllegalArgumentException("CPU backend needs at least 1 thread, got " + threads);
        this.parallel = new Parallel(threads);
        this.poolScratch = new float[threads][0];
        this.gemm = new CpuGemm(parallel);
        this.conv = new CpuConvolution(parallel, gemm);
        this.steps = new CpuStepOps(this, threads);
        this.selects = new CpuSelectOps(this, threads);
        this.groups = new CpuGroupOps(this, threads);
        this.elementwise = new CpuElementwiseOps(this, threads);
        this.loss = new CpuLossOps(this, threads);
    }

    /** The worker pool the op families split their work over. */
    Parallel parallel() {
        return parallel;
    }

    /** Worker threads (the calling thread included). */
    public int threads() {
        return parallel.threads();
    }

    @Override
    public String name() {
        return "cpu";
    }

    @Override
    public String description() {
        return "CPU: " + parallel.threads() + " threads, " + CpuGemm.V + "-lane float32 vectors";
    }

    // ---------------------------------------------------------------- memory

    @Override
    public Buffer allocate(long words, String label) {
        if (closed) throw new IllegalStateException("CPU backend is closed; create a new one to allocate '" + label + "'");
        if (words < 0) throw new IllegalArgumentException("buffer '" + label + "' needs words >= 0, got " + words);
        CpuBuffer b;
        try {
            b = new CpuBuffer(this, words, label == null ? "unnamed" : label);
        } catch (OutOfMemoryError e) {
            throw new BackendOutOfMemoryException("cpu", label, words * Float.BYTES, bytesInUse.get(), e);
        }
        live.add(b);
        allocations.incrementAndGet();
        long now = bytesInUse.addAndGet(words * Float.BYTES);
        peakBytes.accumulateAndGet(now, Math::max);
        return b;
    }

    /**
     * {@inheritDoc}
     *
     * <p>On the CPU: a host address. Every op runs at any 4-byte alignment; a 64-byte
     * aligned address (with group offsets that are multiples of 16 floats, as
     * {@code ParamLayout.of} makes them) gives the vector loops aligned loads, the fast path.
     * The memory is reached from the backend's worker threads, so it must stay valid for
     * every thread until the buffer is closed.
     */
    @Override
    public Buffer wrap(long address, long words, String label) {
        return wrap(address, words, label, null);
    }

    /**
     * A buffer over a native segment the caller owns, e.g. one its {@link java.lang.foreign.Arena}
     * allocated: checked to be native, writable, 4-byte aligned and a whole number of floats
     * long. Confined segments work too (the workers reach the memory by address); if the
     * segment's arena is closed while the buffer is still open, later ops on it fail with
     * an {@link IllegalArgumentException} instead of reading freed memory (checked at each
     * op's start: closing the arena while an op runs is still the caller's mistake).
     * Otherwise as {@link #wrap(long, long, String)}.
     */
    public Buffer wrap(MemorySegment segment, String label) {
        String name = label == null ? "unnamed" : label;
        if (segment == null) throw new IllegalArgumentException("wrap '" + name + "': segment is null");
        if (!segment.isNative()) {
            throw new IllegalArgumentException("wrap '" + name + "': segment is on the Java heap; wrap native memory (Arena.allocate)");
        }
        if (segment.isReadOnly()) {
            throw new IllegalArgumentException("wrap '" + name + "': segment is read-only; the ops write their outputs, wrap a writable segment");
        }
        if (segment.byteSize() % Float.BYTES != 0) {
            throw new IllegalArgumentException("wrap '" + name + "': segment is " + segment.byteSize()
                    + " bytes, not a whole number of floats; slice it to a multiple of 4 bytes");
        }
        return wrap(segment.address(), segment.byteSize() / Float.BYTES, name, segment.scope());
    }

    @SuppressWarnings("restricted") // the caller vouches for the range: that is what wrapping means
    private Buffer wrap(long address, long words, String label, MemorySegment.Scope ownerScope) {
        String name = label == null ? "unnamed" : label;
        if (closed) throw new IllegalStateException("CPU backend is closed; create a new one to wrap '" + name + "'");
        WrapChecks.range(address, words, name);
        // Not in `live` and not counted: this backend allocated nothing.
        return new CpuBuffer(this, MemorySegment.ofAddress(address).reinterpret(words * Float.BYTES), ownerScope, name);
    }

    /** Called by {@link CpuBuffer#close()}. */
    void released(CpuBuffer b) {
        if (live.remove(b)) bytesInUse.addAndGet(-b.words() * Float.BYTES);
    }

    @Override
    public long allocationCount() {
        return allocations.get();
    }

    @Override
    public long bytesInUse() {
        return bytesInUse.get();
    }

    @Override
    public long peakBytes() {
        return peakBytes.get();
    }

    @Override
    public void upload(MemorySegment hostFloats, Tensor dst) {
        MemorySegment d = bytes(dst, "upload destination", dst.dtype());
        if (hostFloats == null || hostFloats.byteSize() < d.byteSize()) {
            throw new IllegalArgumentException("upload: host segment has " + (hostFloats == null ? "null" : hostFloats.byteSize() + " bytes")
                    + ", " + dst + " needs " + d.byteSize());
        }
        MemorySegment.copy(hostFloats, 0, d, 0, d.byteSize());
    }

    @Override
    public void download(Tensor src, MemorySegment hostFloats) {
        MemorySegment s = bytes(src, "download source", src.dtype());
        if (hostFloats == null || hostFloats.byteSize() < s.byteSize()) {
            throw new IllegalArgumentException("download: host segment has " + (hostFloats == null ? "null" : hostFloats.byteSize() + " bytes")
                    + ", " + src + " needs " + s.byteSize());
        }
        MemorySegment.copy(s, 0, hostFloats, 0, s.byteSize());
    }

    @Override
    public void synchronize() {
        // Every op has finished when it returns.
    }

    // ---------------------------------------------------------------- core copy and counter read, the op families

    @Override
    public void copy(Tensor src, Tensor dst) {
        MemorySegment s = view(src, "copy source"), d = view(dst, "copy destination");
        sameSize("copy", src, "source", dst, "destination");
        // split over the workers: one core cannot saturate the memory bus on a large copy
        chunked(src.size(), (worker, start, count) ->
                MemorySegment.copy(s, (long) start * Float.BYTES, d, (long) start * Float.BYTES, (long) count * Float.BYTES));
    }

    @Override
    public VectorOps vectors() { return vectors; }

    @Override
    public MaskOps masks() { return masks; }

    @Override
    public GroupOps groups() { return groups; }

    @Override
    public StepOps steps() { return steps; }

    @Override
    public SelectOps selects() { return selects; }

    @Override
    public ElementwiseOps elementwise() { return elementwise; }

    @Override
    public LossOps loss() { return loss; }

    @Override
    public long readCounter(Tensor counter) {
        MemorySegment s = view(counter, "counter");
        if (counter.size() < 1) throw new IllegalArgumentException("readCounter: counter view " + counter + " is empty");
        return Integer.toUnsignedLong(s.get(ValueLayout.JAVA_INT, 0));
    }

    // ---------------------------------------------------------------- dense

    @Override
    public void gemm(boolean transA, boolean transB, int m, int n, int k, float alpha, Tensor a, Tensor b, float beta, Tensor c) {
        if (m < 0 || n < 0 || k < 0) throw new IllegalArgumentException("gemm: dimensions must be >= 0, got m=" + m + " n=" + n + " k=" + k);
        MemorySegment sa = view(a, "gemm A", (long) m * k);
        MemorySegment sb = view(b, "gemm B", (long) k * n);
        MemorySegment sc = view(c, "gemm C", (long) m * n);
        noOverlap("gemm", c, (long) m * n, "C", a, (long) m * k, "A");
        noOverlap("gemm", c, (long) m * n, "C", b, (long) k * n, "B");
        gemm.gemm(transA, transB, m, n, k, alpha, sa, 0, sb, 0, beta, sc, 0);
    }

    // ---------------------------------------------------------------- convolution

    @Override
    public long convWorkspaceWords(ConvGeometry g) {
        return conv.workspaceWords(g);
    }

    @Override
    public void convForward(ConvGeometry g, Tensor x, Tensor w, Tensor y, Tensor workspace) {
        conv.forward(g, view(x, "conv input x", g.inputSize()), view(w, "conv filter w", g.filterSize()),
                view(y, "conv output y", g.outputSize()), workspace(g, workspace));
    }

    @Override
    public void convBackwardData(ConvGeometry g, Tensor dy, Tensor w, Tensor dx, Tensor workspace) {
        conv.backwardData(g, view(dy, "conv output gradient dy", g.outputSize()), view(w, "conv filter w", g.filterSize()),
                view(dx, "conv input gradient dx", g.inputSize()), workspace(g, workspace));
    }

    @Override
    public void convBackwardFilter(ConvGeometry g, Tensor x, Tensor dy, Tensor dw, Tensor workspace) {
        conv.backwardFilter(g, view(x, "conv input x", g.inputSize()), view(dy, "conv output gradient dy", g.outputSize()),
                view(dw, "conv filter gradient dw", g.filterSize()), workspace(g, workspace));
    }

    private MemorySegment workspace(ConvGeometry g, Tensor workspace) {
        long need = conv.workspaceWords(g);
        if (workspace == null) {
            if (need == 0) return MemorySegment.NULL;
            throw new IllegalArgumentException("convolution " + g + " needs a workspace of " + need + " words (convWorkspaceWords), got null");
        }
        if (workspace.size() < need) {
            throw new IllegalArgumentException("convolution workspace " + workspace + " has " + workspace.size()
                    + " words, convWorkspaceWords says " + need + " for " + g);
        }
        return view(workspace, "conv workspace", need);
    }

    // ---------------------------------------------------------------- pooling

    @Override
    public void poolForward(PoolMode mode, PoolGeometry g, Tensor x, Tensor y) {
        MemorySegment sx = view(x, "pool input x", g.inputSize()), sy = view(y, "pool output y", g.outputSize());
        parallel.forRange(g.n() * g.c(), planeGrain(g), (worker, s, e) -> {
            float[] scratch = poolScratch(worker, g);
            for (int plane = s; plane < e; plane++) CpuPooling.forwardPlane(mode, g, sx, sy, plane, scratch);
        });
    }

    @Override
    public void poolBackward(PoolMode mode, PoolGeometry g, Tensor x, Tensor y, Tensor dy, Tensor dx) {
        MemorySegment sx = view(x, "pool input x", g.inputSize());
        view(y, "pool output y", g.outputSize());
        MemorySegment sdy = view(dy, "pool output gradient dy", g.outputSize());
        MemorySegment sdx = view(dx, "pool input gradient dx", g.inputSize());
        parallel.forRange(g.n() * g.c(), planeGrain(g), (worker, s, e) -> {
            float[] scratch = poolScratch(worker, g);
            for (int plane = s; plane < e; plane++) CpuPooling.backwardPlane(mode, g, sx, sdy, sdx, plane, scratch);
        });
    }

    private float[] poolScratch(int worker, PoolGeometry g) {
        int need = CpuMaxPool2x2.scratchWords(g);
        if (poolScratch[worker].length < need) poolScratch[worker] = new float[need];
        return poolScratch[worker];
    }

    private static int planeGrain(PoolGeometry g) {
        return Math.max(1, CHUNK / (g.h() * g.w()));
    }

    // ---------------------------------------------------------------- batch norm

    @Override
    public void batchNormForwardTraining(int n, int channels, int spatial, Tensor x, Tensor y, Tensor gamma, Tensor beta,
                                         Tensor runningMean, Tensor runningVar, Tensor saveMean, Tensor saveInvStd,
                                         float momentum, float eps) {
        batchNormTraining("batchNormForwardTraining", n, channels, spatial, x, y, gamma, beta, runningMean, runningVar,
                saveMean, saveInvStd, momentum, eps, false);
    }

    /** Batch norm with the ReLU applied in its normalise pass (one write of y). */
    @Override
    public void batchNormReluForwardTraining(int n, int channels, int spatial, Tensor x, Tensor y, Tensor gamma, Tensor beta,
                                             Tensor runningMean, Tensor runningVar, Tensor saveMean, Tensor saveInvStd,
                                             float momentum, float eps) {
        batchNormTraining("batchNormReluForwardTraining", n, channels, spatial, x, y, gamma, beta, runningMean, runningVar,
                saveMean, saveInvStd, momentum, eps, true);
    }

    private void batchNormTraining(String op, int n, int channels, int spatial, Tensor x, Tensor y, Tensor gamma, Tensor beta,
                                   Tensor runningMean, Tensor runningVar, Tensor saveMean, Tensor saveInvStd,
                                   float momentum, float eps, boolean relu) {
        checkNcs(op, n, channels, spatial);
        if ((long) n * spatial < 2) {
            throw new IllegalArgumentException("batch norm in training mode needs more than one value per channel, got n="
                    + n + " x spatial=" + spatial + "; use a larger batch or inference mode");
        }
        long size = (long) n * channels * spatial;
        MemorySegment sx = view(x, "batch norm x", size), sy = view(y, "batch norm y", size);
        MemorySegment sg = view(gamma, "batch norm gamma", channels), sb = view(beta, "batch norm beta", channels);
        MemorySegment rm = view(runningMean, "batch norm runningMean", channels), rv = view(runningVar, "batch norm runningVar", channels);
        MemorySegment sm = view(saveMean, "batch norm saveMean", channels), si = view(saveInvStd, "batch norm saveInvStd", channels);
        parallel.forRange(channels, channelGrain(n, spatial), (worker, s, e) -> {
            for (int ch = s; ch < e; ch++) {
                CpuBatchNorm.forwardTraining(n, channels, spatial, ch, sx, sy, sg, sb, rm, rv, sm, si, momentum, eps, relu);
            }
        });
    }

    @Override
    public void batchNormForwardInference(int n, int channels, int spatial, Tensor x, Tensor y, Tensor gamma, Tensor beta,
                                          Tensor runningMean, Tensor runningVar, float eps) {
        batchNormInference("batchNormForwardInference", n, channels, spatial, x, y, gamma, beta, runningMean, runningVar, eps, false);
    }

    /** Inference-mode batch norm with the ReLU applied in its normalise pass. */
    @Override
    public void batchNormReluForwardInference(int n, int channels, int spatial, Tensor x, Tensor y, Tensor gamma, Tensor beta,
                                              Tensor runningMean, Tensor runningVar, float eps) {
        batchNormInference("batchNormReluForwardInference", n, channels, spatial, x, y, gamma, beta, runningMean, runningVar, eps, true);
    }

    private void batchNormInference(String op, int n, int channels, int spatial, Tensor x, Tensor y, Tensor gamma, Tensor beta,
                                    Tensor runningMean, Tensor runningVar, float eps, boolean relu) {
        checkNcs(op, n, channels, spatial);
        long size = (long) n * channels * spatial;
        MemorySegment sx = view(x, "batch norm x", size), sy = view(y, "batch norm y", size);
        MemorySegment sg = view(gamma, "batch norm gamma", channels), sb = view(beta, "batch norm beta", channels);
        MemorySegment rm = view(runningMean, "batch norm runningMean", channels), rv = view(runningVar, "batch norm runningVar", channels);
        parallel.forRange(channels, channelGrain(n, spatial), (worker, s, e) -> {
            for (int ch = s; ch < e; ch++) CpuBatchNorm.forwardInference(n, channels, spatial, ch, sx, sy, sg, sb, rm, rv, eps, relu);
        });
    }

    @Override
    public void batchNormBackward(int n, int channels, int spatial, Tensor x, Tensor dy, Tensor gamma, Tensor saveMean,
                                  Tensor saveInvStd, Tensor dx, Tensor dgamma, Tensor dbeta, float eps) {
        batchNormBackward("batchNormBackward", n, channels, spatial, x, null, dy, gamma, saveMean, saveInvStd, dx, dgamma, dbeta);
    }

    /** The fused masks the gradient itself: no scratch. */
    @Override
    public long batchNormReluWorkspaceWords(int n, int channels, int spatial) {
        return 0;
    }

    /** Batch norm backward taking dy only where the forward's output y > 0, in its sums and dx passes; the workspace is not used. */
    @Override
    public void batchNormReluBackward(int n, int channels, int spatial, Tensor x, Tensor y, Tensor dy, Tensor gamma,
                                      Tensor saveMean, Tensor saveInvStd, Tensor dx, Tensor dgamma, Tensor dbeta,
                                      float eps, Tensor workspace) {
        batchNormBackward("batchNormReluBackward", n, channels, spatial, x, y, dy, gamma, saveMean, saveInvStd, dx, dgamma, dbeta);
    }

    /** {@code y} null: plain batch norm; else the forward output of a fused ReLU. */
    private void batchNormBackward(String op, int n, int channels, int spatial, Tensor x, Tensor y, Tensor dy, Tensor gamma,
                                   Tensor saveMean, Tensor saveInvStd, Tensor dx, Tensor dgamma, Tensor dbeta) {
        checkNcs(op, n, channels, spatial);
        long size = (long) n * channels * spatial;
        MemorySegment sx = view(x, "batch norm x", size), sdy = view(dy, "batch norm dy", size), sdx = view(dx, "batch norm dx", size);
        MemorySegment sy = y == null ? null : view(y, "batch norm + ReLU output y", size);
        MemorySegment sg = view(gamma, "batch norm gamma", channels);
        MemorySegment sm = view(saveMean, "batch norm saveMean", channels), si = view(saveInvStd, "batch norm saveInvStd", channels);
        MemorySegment dg = view(dgamma, "batch norm dgamma", channels), dbt = view(dbeta, "batch norm dbeta", channels);
        parallel.forRange(channels, channelGrain(n, spatial), (worker, s, e) -> {
            for (int ch = s; ch < e; ch++) CpuBatchNorm.backward(n, channels, spatial, ch, sx, sy, sdy, sg, sm, si, sdx, dg, dbt);
        });
    }

    private static int channelGrain(int n, int spatial) {
        return (int) Math.max(1, CHUNK / ((long) n * spatial));
    }

    // ---------------------------------------------------------------- lifecycle

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        parallel.close();
        List<CpuBuffer> open = new ArrayList<>(live);
        for (CpuBuffer b : open) b.close();
    }

    // ---------------------------------------------------------------- helpers

    @FunctionalInterface
    interface ChunkBody {
        void run(int worker, long start, long count);
    }

    /** Splits [0, n) floats into CHUNK-sized pieces (vector aligned) spread over the workers. */
    void chunked(long n, ChunkBody body) {
        if (n <= CHUNK) {
            if (closed) throw new IllegalStateException("the CPU backend is closed");
            if (n > 0) body.run(0, 0, n);
            return;
        }
        long pieces = (n + CHUNK - 1) / CHUNK;
        if (pieces > Integer.MAX_VALUE) throw new IllegalArgumentException("view of " + n + " floats is too large");
        parallel.forRange((int) pieces, 1, (worker, s, e) -> {
            long start = (long) s * CHUNK;
            body.run(worker, start, Math.min(n, (long) e * CHUNK) - start);
        });
    }

    /** The memory of an f32 view, as a zero-based segment of exactly its size. */
    MemorySegment view(Tensor t, String what) {
        return bytes(t, what, DType.F32);
    }

    /** The memory of a view of element type {@code dtype}, as a zero-based segment of exactly its size. */
    MemorySegment bytes(Tensor t, String what, DType dtype) {
        if (t == null) throw new IllegalArgumentException(what + " is null");
        if (!(t.buffer() instanceof CpuBuffer b) || b.backend() != this) {
            throw new IllegalArgumentException(what + " " + t + " is not memory of this CPU backend; allocate it with this backend");
        }
        if (b.isClosed()) throw new IllegalArgumentException(what + " " + t + " belongs to a closed buffer");
        if (b.ownerFreed()) {
            throw new IllegalArgumentException(what + " " + t + " wraps a segment whose arena was closed; close what wraps it before the arena");
        }
        t.require(dtype, what);
        return b.segment().asSlice(t.byteOffset(), t.byteSize());
    }

    /** The first {@code need} floats of a view, which must hold at least that many. */
    MemorySegment view(Tensor t, String what, long need) {
        MemorySegment s = view(t, what);
        if (t.size() < need) {
            throw new IllegalArgumentException(what + " " + t + " has " + t.size() + " elements, the op needs " + need);
        }
        return s.asSlice(0, need * Float.BYTES);
    }

    static void sameSize(String op, Tensor a, String aName, Tensor b, String bName) {
        if (a.size() != b.size()) {
            throw new IllegalArgumentException(op + ": " + aName + " " + a + " has " + a.size() + " elements but "
                    + bName + " " + b + " has " + b.size() + "; they must match");
        }
    }

    private static void noOverlap(String op, Tensor out, long outSize, String outName, Tensor in, long inSize, String inName) {
        if (out.buffer() != in.buffer()) return;
        long o0 = out.offset(), i0 = in.offset();
        if (o0 < i0 + inSize && i0 < o0 + outSize && outSize > 0 && inSize > 0) {
            throw new IllegalArgumentException(op + ": output " + outName + " " + out + " overlaps input " + inName + " " + in
                    + "; use separate views");
        }
    }

    static void checkNcs(String op, int n, int channels, int spatial) {
        if (n < 1 || channels < 1 || spatial < 1) {
            throw new IllegalArgumentException(op + ": n, channels and spatial must be >= 1, got n=" + n
                    + " channels=" + channels + " spatial=" + spatial);
        }
    }
}
