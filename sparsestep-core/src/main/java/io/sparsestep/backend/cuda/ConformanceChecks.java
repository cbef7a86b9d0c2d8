package io.sparsestep.backend.cuda;

import io.sparsestep.backend.Backend;
import io.sparsestep.backend.Buffer;
import io.sparsestep.backend.ConvGeometry;
import io.sparsestep.backend.OpFamily;
import io.sparsestep.backend.PoolGeometry;
import io.sparsestep.backend.PoolMode;
import io.sparsestep.backend.Tensor;
import io.sparsestep.backend.cuda.ConformanceSession.Twin;

import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.function.Consumer;

/**
 * One list of checks that runs every core {@link Backend} op and the ops of every op family
 * (each family's {@code <Family>Checks}: {@link ElementwiseOpsChecks}, {@link LossOpsChecks},
 * {@link StepOpsChecks}, ...) on a backend under test and on a reference backend (the CPU
 * backend) with the same random inputs, and compares the outputs. {@link CudaDoctor} prints them; CudaConformanceTest asserts them. Inputs use
 * awkward sizes (1, 7, 1023, 1025, 4099: not multiples of 4) and views at word offsets 1
 * and 3 (not 16-byte aligned) as well as 0, and ops with several tensors get different
 * offsets so the kernels' scalar and float4 paths both run.
 *
 * <p>Tolerances: <b>bitwise</b> for ops that are exactly rounded on both sides (fill, copy,
 * add, relu, addBias, max pooling forward, the counters) and for the gRDA and SGD steps,
 * whose kernels round every product and sum separately exactly as Java does (the sign of
 * a zero included); <b>relative</b> 1e-5 for small reductions (bias gradient, softmax
 * gradient, pooling backward, average pooling) and 1e-4 for GEMM, convolution, batch norm
 * and the summed loss, where summation order differs.
 * "Relative" is the largest absolute error divided by the largest magnitude of the
 * reference output, which stays meaningful for outputs near zero.
 *
 * <p>Every view sits in a buffer with guard words around it (see {@link ConformanceSession});
 * a check fails if the backend under test wrote outside its view.
 */
public final class ConformanceChecks {
    static final int[] SIZES = {1, 7, 1023, 1025, 4099};
    /** Above 8 blocks per SM times 256 threads times 4 floats on any GPU up to 16 SMs: grid-stride loops iterate. */
    static final int GRID_STRIDE_SIZE = 70_001;
    /** SIZES plus GRID_STRIDE_SIZE. */
    static final int[] ALL_SIZES = {1, 7, 1023, 1025, 4099, GRID_STRIDE_SIZE};

    private ConformanceChecks() {}

    public enum Kind { BITWISE, RELATIVE }

    /**
     * How close an output must be: bitwise, or a relative bound on the largest absolute error
     * over {@code max(largest |reference|, floor)}. The floor is the output's natural scale
     * where its own size can be tiny: a confident row's loss and gradient are small
     * differences of numbers near 1 (kernel in float, twin in double), so they are measured
     * against what they could be (rows, grad_scale), not against themselves.
     */
    public record Tolerance(Kind kind, double bound, double floor) {
        public static final Tolerance BITWISE = new Tolerance(Kind.BITWISE, 0, 0);

        public static Tolerance relative(double bound) {
            return new Tolerance(Kind.RELATIVE, bound, 0);
        }

        /** Relative to the larger of the reference's largest magnitude and {@code floor}. */
        public static Tolerance relative(double bound, double floor) {
            return new Tolerance(Kind.RELATIVE, bound, floor);
        }

        public String describe() {
            return kind == Kind.BITWISE ? "bitwise" : String.format(Locale.ROOT, "rel %.0e", bound);
        }
    }

    /** The outcome for one output of one check, over all its variants (sizes, offsets, shapes). */
    public record Result(String name, double maxAbsError, double maxRelError, Tolerance tolerance, boolean passed, String note) {
        public String line() {
            return String.format(Locale.ROOT, "%-48s maxAbs %-9s maxRel %-9s tol %-8s %s%s", name, fmt(maxAbsError), fmt(maxRelError),
                    tolerance.describe(), passed ? "PASS" : "FAIL", note.isEmpty() ? "" : "  " + note);
        }

        private static String fmt(double v) {
            return Double.isNaN(v) ? "NaN" : v == 0 ? "0" : String.format(Locale.ROOT, "%.2e", v);
        }
    }

    /**
     * A named check; {@link #run} never throws: an exception is a failed result carrying its
     * message. Its random inputs are drawn from the run's seed and {@code inputsName}, which
     * is the name unless the check was renamed: a check moved into an op family
     * ({@code fill} became {@code elementwise.fill}) keeps its old name there, so it still
     * compares the same inputs.
     */
    public record Check(String name, String inputsName, Consumer<ConformanceSession> body) {
        public Check(String name, Consumer<ConformanceSession> body) {
            this(name, name, body);
        }

        public List<Result> run(Backend tested, Backend reference, long seed) {
            ConformanceSession s = new ConformanceSession(name, tested, reference, new SplittableRandom(seed ^ inputsName.hashCode()));
            try {
                body.accept(s);
                List<Result> results = s.results();
                if (results.isEmpty()) throw new IllegalStateException("check compared nothing");
                return results;
            } catch (RuntimeException e) {
                List<Result> results = new ArrayList<>(s.results());
                results.add(new Result(name + (s.variant.isEmpty() ? "" : " [" + s.variant + "]"), Double.NaN, Double.NaN,
                        Tolerance.BITWISE, false, "threw " + CudaUnavailableException.oneLine(String.valueOf(e))));
                return results;
            } finally {
                s.close();
            }
        }
    }

    /**
     * Every check: the core ops in the order of the Backend interface (memory, transfers,
     * copy, readCounter, and the cuBLAS/cuDNN ops), then the op families' checks.
     */
    public static List<Check> all() {
        List<Check> checks = new ArrayList<>();
        checks.add(new Check("memory", ConformanceChecks::memory));
        checks.add(new Check("upload/download", ConformanceChecks::transfer));
        checks.add(new Check("copy", ConformanceChecks::copy));
        checks.add(new Check("readCounter", ConformanceChecks::readCounter));
        checks.add(new Check("gemm", ConformanceChecks::gemm));
        checks.add(new Check("convForward", s -> conv(s, 0)));
        checks.add(new Check("convBackwardData", s -> conv(s, 1)));
        checks.add(new Check("convBackwardFilter", s -> conv(s, 2)));
        checks.add(new Check("pool max", s -> pool(s, PoolMode.MAX)));
        checks.add(new Check("pool average", s -> pool(s, PoolMode.AVERAGE)));
        checks.add(new Check("pool max NaN", s -> poolNaN(s, PoolMode.MAX)));
        checks.add(new Check("pool average NaN", s -> poolNaN(s, PoolMode.AVERAGE)));
        checks.add(new Check("batchNormForwardTraining", s -> batchNormTraining(s, false)));
        checks.add(new Check("batchNormForwardInference", s -> batchNormInference(s, false)));
        checks.add(new Check("batchNormBackward", s -> batchNormBackward(s, false)));
        // the fused batch norm + ReLU: on CUDA the default composition (cuDNN, then the ReLU kernel)
        checks.add(new Check("batchNormReluForwardTraining", s -> batchNormTraining(s, true)));
        checks.add(new Check("batchNormReluForwardInference", s -> batchNormInference(s, true)));
        checks.add(new Check("batchNormReluBackward", s -> batchNormBackward(s, true)));
        checks.addAll(familyChecks());
        return List.copyOf(checks);
    }

    /**
     * The checks of every op family (see {@link OpFamily}): for each accessor of
     * {@link Backend} that returns a family, the class {@code <Family>Checks} in this
     * package and its static {@code checks()}. Found, not listed: a family added without
     * its checks becomes a failing check here rather than a gap nobody sees.
     */
    @SuppressWarnings("unchecked")
    static List<Check> familyChecks() {
        List<Method> accessors = new ArrayList<>();
        for (Method m : Backend.class.getMethods()) {
            if (m.getParameterCount() == 0 && OpFamily.class.isAssignableFrom(m.getReturnType())) accessors.add(m);
        }
        accessors.sort(Comparator.comparing(Method::getName));
        List<Check> checks = new ArrayList<>();
        for (Method m : accessors) {
            String family = m.getReturnType().getSimpleName();
            String className = ConformanceChecks.class.getPackageName() + "." + family + "Checks";
            try {
                Method source = Class.forName(className).getDeclaredMethod("checks");
                source.setAccessible(true);
                checks.addAll((List<Check>) source.invoke(null));
            } catch (ReflectiveOperationException | ClassCastException e) {
                checks.add(new Check(family, s -> {
                    throw new IllegalStateException("op family " + family + " (Backend." + m.getName() + "()) has no conformance class "
                            + className + " with a static checks()");
                }));
            }
        }
        return checks;
    }

    /** Every combination of {@code pointers} word offsets in 0..3, i.e. of their addresses modulo 16 bytes. */
    static List<int[]> alignmentCombinations(int pointers) {
        List<int[]> all = new ArrayList<>();
        int count = 1 << (2 * pointers);
        for (int code = 0; code < count; code++) {
            int[] offsets = new int[pointers];
            for (int p = 0; p < pointers; p++) offsets[p] = (code >> (2 * p)) & 3;
            all.add(offsets);
        }
        return all;
    }

    /**
     * How the kernels' float4 split (kernels/common.cuh) divides n elements whose pointers
     * sit at these word offsets of 256-byte-aligned allocations: a scalar head up to the
     * first 16-byte boundary, float4s, a scalar tail; or all scalar when the pointers'
     * addresses differ modulo 16 bytes.
     */
    record Float4Split(long head, long float4s, long tail, boolean pointersAgree) {
        static Float4Split of(long n, int... wordOffsets) {
            int m = (wordOffsets[0] * Float.BYTES) & 15;
            for (int o : wordOffsets) {
                if (((o * Float.BYTES) & 15) != m) return new Float4Split(n, 0, 0, false);
            }
            long head = Math.min(((16 - m) & 15) >> 2, n);
            long float4s = (n - head) >> 2;
            return new Float4Split(head, float4s, n - head - 4 * float4s, true);
        }

        /** Marks on the session each path this split runs. */
        void markReached(ConformanceSession s) {
            if (!pointersAgree) {
                s.reached(PATH_ALL_SCALAR);
                return;
            }
            if (head > 0) s.reached(PATH_HEAD);
            if (float4s > 0) s.reached(PATH_FLOAT4);
            if (tail > 0) s.reached(PATH_TAIL);
        }
    }

    static final String PATH_HEAD = "scalar head";
    static final String PATH_FLOAT4 = "float4 body";
    static final String PATH_TAIL = "scalar tail";
    static final String PATH_ALL_SCALAR = "all scalar (pointers disagree mod 16 B)";
    static final List<String> FLOAT4_PATHS = List.of(PATH_HEAD, PATH_FLOAT4, PATH_TAIL, PATH_ALL_SCALAR);

    // ------------------------------------------------------------------ the checks

    private static void memory(ConformanceSession s) {
        Backend b = s.tested;
        long count0 = b.allocationCount(), inUse0 = b.bytesInUse();
        Buffer buf = b.allocate(1025, "conformance.probe");
        try {
            s.compareScalar("allocationCount delta", b.allocationCount() - count0, 1, Tolerance.BITWISE);
            s.compareScalar("bytesInUse delta", b.bytesInUse() - inUse0, 4 * 1025, Tolerance.BITWISE);
            s.compareScalar("peakBytes covers in-use", b.peakBytes() >= b.bytesInUse() ? 1 : 0, 1, Tolerance.BITWISE);
            s.compareScalar("allocate zero-fills", b.elementwise().countZeros(new Tensor(buf, 0, 1025)), 1025, Tolerance.BITWISE);
        } finally {
            buf.close();
        }
        s.compareScalar("bytesInUse after close", b.bytesInUse(), inUse0, Tolerance.BITWISE);
    }

    private static void transfer(ConformanceSession s) {
        for (int n : SIZES) {
            for (int offset : new int[] {0, 1, 3}) {
                s.variant = "n=" + n + " offset=" + offset;
                Twin t = s.random(offset, n);
                s.compare("roundtrip", t, Tolerance.BITWISE);
            }
        }
    }

    private static void copy(ConformanceSession s) {
        for (int n : SIZES) {
            s.variant = "n=" + n;
            Twin src = s.random(1, n), dst = s.random(3, n);
            s.both(b -> b.copy(src.on(b), dst.on(b)));
            s.compare("dst", dst, Tolerance.BITWISE);
            Twin reshaped = s.random(0, 1, n);
            s.both(b -> b.copy(src.on(b), reshaped.on(b)));
            s.compare("dst (other shape)", reshaped, Tolerance.BITWISE);
        }
    }

    private static void readCounter(ConformanceSession s) {
        int[] words = {0, 1, 0x7fffffff, 0x80000000, 0xfffffff0};
        for (int i = 0; i < words.length; i++) {
            s.variant = "word=0x" + Integer.toHexString(words[i]);
            Twin t = s.twin(new float[] {Float.intBitsToFloat(words[i]), 7f}, i % 4, 2);
            s.compareScalar("value", s.tested.readCounter(t.tested()), s.reference.readCounter(t.reference()), Tolerance.BITWISE);
            s.compareScalar("value vs unsigned word", s.tested.readCounter(t.tested()), Integer.toUnsignedLong(words[i]), Tolerance.BITWISE);
        }
    }

    private static void gemm(ConformanceSession s) {
        int[][] shapes = {{1, 1, 1}, {7, 5, 3}, {33, 17, 65}, {64, 130, 257}, {3, 1025, 2}};
        for (int[] mnk : shapes) {
            int m = mnk[0], n = mnk[1], k = mnk[2];
            for (int t = 0; t < 4; t++) {
                boolean ta = (t & 1) != 0, tb = (t & 2) != 0;
                for (float beta : new float[] {0f, 0.5f}) {
                    s.variant = "m=" + m + " n=" + n + " k=" + k + " transA=" + ta + " transB=" + tb + " beta=" + beta;
                    Twin a = ta ? s.random(1, k, m) : s.random(1, m, k);
                    Twin b2 = tb ? s.random(0, n, k) : s.random(0, k, n);
                    Twin c = beta == 0f ? s.constant(Float.NaN, 3, m, n) : s.random(3, m, n);
                    s.both(b -> b.gemm(ta, tb, m, n, k, 1.25f, a.on(b), b2.on(b), beta, c.on(b)));
                    s.compare("C", c, Tolerance.relative(1e-4));
                }
            }
        }
    }

    /** {n, c, h, w, k, r, s, strideH, strideW, padH, padW, offset of the views}. */
    private static final int[][] CONVS = {
            {1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0},
            {2, 3, 7, 9, 5, 3, 3, 1, 1, 1, 1, 0},
            {3, 4, 8, 8, 6, 3, 3, 2, 2, 0, 0, 0},
            {2, 8, 5, 5, 4, 1, 1, 1, 1, 0, 0, 0},
            {2, 3, 11, 10, 7, 5, 3, 2, 1, 2, 1, 0},
            {2, 3, 7, 9, 5, 3, 3, 1, 1, 1, 1, 1},
            {4, 16, 12, 12, 32, 3, 3, 1, 1, 1, 1, 3},
    };

    private static void conv(ConformanceSession s, int pass) {
        for (int[] c : CONVS) {
            ConvGeometry g = new ConvGeometry(c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7], c[8], c[9], c[10]);
            int off = c[11];
            s.variant = g + (off == 0 ? "" : " view offset " + off);
            Twin ws = s.workspace(s.tested.convWorkspaceWords(g), s.reference.convWorkspaceWords(g), off);
            int[] xShape = {g.n(), g.c(), g.h(), g.w()}, wShape = {g.k(), g.c(), g.r(), g.s()}, yShape = {g.n(), g.k(), g.outH(), g.outW()};
            switch (pass) {
                case 0 -> {
                    Twin x = s.random(off, xShape), w = s.random(off == 0 ? 0 : off + 1, wShape), y = s.constant(Float.NaN, off, yShape);
                    s.both(b -> b.convForward(g, x.on(b), w.on(b), y.on(b), ws.on(b)));
                    s.compare("y", y, Tolerance.relative(1e-4));
                }
                case 1 -> {
                    Twin dy = s.random(off, yShape), w = s.random(off == 0 ? 0 : off + 1, wShape), dx = s.constant(Float.NaN, off, xShape);
                    s.both(b -> b.convBackwardData(g, dy.on(b), w.on(b), dx.on(b), ws.on(b)));
                    s.compare("dx", dx, Tolerance.relative(1e-4));
                }
                default -> {
                    Twin x = s.random(off, xShape), dy = s.random(off == 0 ? 0 : off + 1, yShape), dw = s.constant(Float.NaN, off, wShape);
                    s.both(b -> b.convBackwardFilter(g, x.on(b), dy.on(b), dw.on(b), ws.on(b)));
                    s.compare("dw", dw, Tolerance.relative(1e-4));
                }
            }
        }
    }

    /** A NaN inside a window passes through forward pooling, max and average alike, on both backends. */
    private static void poolNaN(ConformanceSession s, PoolMode mode) {
        PoolGeometry g = new PoolGeometry(1, 2, 6, 6, 3, 3, 2, 2, 1, 1);
        s.variant = g + " with NaN";
        float[] data = s.uniform((int) g.inputSize());
        data[2 * 6 + 3] = Float.NaN; // inside several overlapping windows of the first plane
        Twin x = s.twin(data, 0, g.n(), g.c(), g.h(), g.w()), y = s.constant(0f, 0, g.n(), g.c(), g.outH(), g.outW());
        s.both(b -> b.poolForward(mode, g, x.on(b), y.on(b)));
        s.compare("forward y", y, mode == PoolMode.MAX ? Tolerance.BITWISE : Tolerance.relative(1e-5));
    }

    private static void pool(ConformanceSession s, PoolMode mode) {
        PoolGeometry[] geometries = {
                new PoolGeometry(2, 3, 7, 9, 2, 2, 2, 2, 0, 0),
                new PoolGeometry(2, 3, 8, 8, 3, 3, 2, 2, 1, 1),
                new PoolGeometry(2, 2, 5, 6, 3, 3, 1, 1, 1, 1),
                new PoolGeometry(2, 4, 7, 7, 7, 7, 1, 1, 0, 0),
                new PoolGeometry(1, 1, 1, 1, 1, 1, 1, 1, 0, 0),
        };
        Tolerance tol = mode == PoolMode.MAX ? Tolerance.BITWISE : Tolerance.relative(1e-5);
        for (PoolGeometry g : geometries) {
            s.variant = g.toString();
            Twin x = s.random(0, g.n(), g.c(), g.h(), g.w()), y = s.constant(Float.NaN, 0, g.n(), g.c(), g.outH(), g.outW());
            s.both(b -> b.poolForward(mode, g, x.on(b), y.on(b)));
            s.compare("forward y", y, tol);
            Twin dy = s.random(0, g.n(), g.c(), g.outH(), g.outW()), dx = s.constant(Float.NaN, 0, g.n(), g.c(), g.h(), g.w());
            s.both(b -> b.poolBackward(mode, g, x.on(b), y.on(b), dy.on(b), dx.on(b)));
            // Overlapping windows add several dy into one dx, in an order that is the library's choice.
            s.compare("backward dx", dx, Tolerance.relative(1e-5));
        }
    }

    private static final int[][] BATCH_NORMS = {{4, 3, 10}, {7, 5, 1}, {2, 2, 33}, {16, 8, 49}};

    /** Shifted, scaled inputs: batch norm must remove a mean far from zero. */
    private static float[] activations(ConformanceSession s, int size) {
        float[] x = s.uniform(size);
        for (int i = 0; i < size; i++) x[i] = 2.5f + 3f * x[i];
        return x;
    }

    /** {@code relu}: the fused batch norm + ReLU ops instead of batch norm alone. */
    private static void batchNormTraining(ConformanceSession s, boolean relu) {
        for (int[] sh : BATCH_NORMS) {
            int n = sh[0], ch = sh[1], sp = sh[2];
            s.variant = "n=" + n + " channels=" + ch + " spatial=" + sh[2];
            Twin x = s.twin(activations(s, n * ch * sp), 1, n, ch, sp), y = s.constant(Float.NaN, 0, n, ch, sp);
            Twin gamma = s.random(0, ch), beta = s.random(1, ch);
            Twin runMean = s.random(0, ch), runVar = s.twin(positive(s, ch), 0, ch);
            Twin saveMean = s.constant(Float.NaN, 0, ch), saveInvStd = s.constant(Float.NaN, 0, ch);
            s.both(b -> {
                if (relu) {
                    b.batchNormReluForwardTraining(n, ch, sp, x.on(b), y.on(b), gamma.on(b), beta.on(b), runMean.on(b),
                            runVar.on(b), saveMean.on(b), saveInvStd.on(b), 0.1f, 1e-5f);
                } else {
                    b.batchNormForwardTraining(n, ch, sp, x.on(b), y.on(b), gamma.on(b), beta.on(b), runMean.on(b),
                            runVar.on(b), saveMean.on(b), saveInvStd.on(b), 0.1f, 1e-5f);
                }
            });
            Tolerance tol = Tolerance.relative(1e-4);
            s.compare("y", y, tol);
            s.compare("runningMean", runMean, tol);
            s.compare("runningVar", runVar, tol);
            s.compare("saveMean", saveMean, tol);
            s.compare("saveInvStd", saveInvStd, tol);
        }
    }

    private static void batchNormInference(ConformanceSession s, boolean relu) {
        for (int[] sh : BATCH_NORMS) {
            int n = sh[0], ch = sh[1], sp = sh[2];
            s.variant = "n=" + n + " channels=" + ch + " spatial=" + sh[2];
            Twin x = s.twin(activations(s, n * ch * sp), 1, n, ch, sp), y = s.constant(Float.NaN, 0, n, ch, sp);
            Twin gamma = s.random(0, ch), beta = s.random(1, ch), mean = s.random(0, ch), var = s.twin(positive(s, ch), 0, ch);
            s.both(b -> {
                if (relu) b.batchNormReluForwardInference(n, ch, sp, x.on(b), y.on(b), gamma.on(b), beta.on(b), mean.on(b), var.on(b), 1e-3f);
                else b.batchNormForwardInference(n, ch, sp, x.on(b), y.on(b), gamma.on(b), beta.on(b), mean.on(b), var.on(b), 1e-3f);
            });
            s.compare("y", y, Tolerance.relative(1e-4));
        }
    }

    /**
     * {@code relu}: the fused backward, given the same ReLU output (about half of it 0) on
     * both backends, so the mask agrees and only the arithmetic is compared; the workspace
     * has the larger of the two backends' sizes.
     */
    private static void batchNormBackward(ConformanceSession s, boolean relu) {
        for (int[] sh : BATCH_NORMS) {
            int n = sh[0], ch = sh[1], sp = sh[2];
            s.variant = "n=" + n + " channels=" + ch + " spatial=" + sh[2];
            Twin x = s.twin(activations(s, n * ch * sp), 1, n, ch, sp), y = s.constant(0f, 0, n, ch, sp);
            Twin gamma = s.random(0, ch), beta = s.random(1, ch), runMean = s.constant(0f, 0, ch), runVar = s.constant(1f, 0, ch);
            Twin saveMean = s.constant(0f, 0, ch), saveInvStd = s.constant(0f, 0, ch);
            // Each backend's own saved statistics feed its backward pass, as in training.
            s.both(b -> b.batchNormForwardTraining(n, ch, sp, x.on(b), y.on(b), gamma.on(b), beta.on(b), runMean.on(b),
                    runVar.on(b), saveMean.on(b), saveInvStd.on(b), 0.1f, 1e-5f));
            Twin dy = s.random(0, n, ch, sp), dx = s.constant(Float.NaN, 3, n, ch, sp);
            Twin dgamma = s.constant(Float.NaN, 0, ch), dbeta = s.constant(Float.NaN, 1, ch);
            if (relu) {
                float[] mask = s.uniform(n * ch * sp);
                for (int i = 0; i < mask.length; i++) mask[i] = Math.max(mask[i], 0f);
                Twin out = s.twin(mask, 2, n, ch, sp);
                int words = (int) Math.max(1, Math.max(s.tested.batchNormReluWorkspaceWords(n, ch, sp),
                        s.reference.batchNormReluWorkspaceWords(n, ch, sp)));
                Twin workspace = s.constant(Float.NaN, 0, words);
                s.both(b -> b.batchNormReluBackward(n, ch, sp, x.on(b), out.on(b), dy.on(b), gamma.on(b), saveMean.on(b),
                        saveInvStd.on(b), dx.on(b), dgamma.on(b), dbeta.on(b), 1e-5f, workspace.on(b)));
            } else {
                s.both(b -> b.batchNormBackward(n, ch, sp, x.on(b), dy.on(b), gamma.on(b), saveMean.on(b), saveInvStd.on(b),
                        dx.on(b), dgamma.on(b), dbeta.on(b), 1e-5f));
            }
            Tolerance tol = Tolerance.relative(1e-4);
            s.compare("dx", dx, tol);
            s.compare("dgamma", dgamma, tol);
            s.compare("dbeta", dbeta, tol);
        }
    }

    private static float[] positive(ConformanceSession s, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = 0.5f + (float) s.random.nextDouble();
        return v;
    }

}
