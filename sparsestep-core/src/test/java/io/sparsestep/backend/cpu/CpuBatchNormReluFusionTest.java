package io.sparsestep.backend.cpu;

import io.sparsestep.backend.Backend;
import io.sparsestep.backend.ElementwiseOps;
import io.sparsestep.backend.Tensor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static io.sparsestep.backend.cpu.CpuTestSupport.*;
import static io.sparsestep.testing.Bits.assertSameBits;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The fused batch norm + ReLU ops and the fused residual sum + ReLU of {@link CpuBackend}
 * give the bits of the separate ops they replace (batch norm, then reluForward; reluBackward,
 * then batch norm backward; add, then reluForward), on awkward shapes (channels 1/3/17,
 * spatial 1/7/33 around the vector widths, n 1..3), with 1-3 threads, on inputs with mixed
 * signs, on inputs whose normalised values are all negative (every gradient masked) and on
 * inputs and gradients holding NaN. Outputs start as NaN, so an element a fused pass skips
 * shows. The same comparison runs against {@link Backend}'s default methods (the composition
 * the CUDA backend inherits), called through a proxy that keeps CpuBackend's other ops.
 */
class CpuBatchNormReluFusionTest {
    private static final float EPS = 1e-5f, MOMENTUM = 0.1f;
    private static final int[] CHANNELS = {1, 3, 17}, SPATIAL = {1, 7, 33};
    private static final List<CpuBackend> BACKENDS = new ArrayList<>();

    /** What the inputs hold. */
    enum Data { MIXED, ALL_NEGATIVE, NAN }

    @BeforeAll
    static void start() {
        for (int t = 1; t <= 3; t++) BACKENDS.add(new CpuBackend(t));
    }

    @AfterAll
    static void stop() {
        BACKENDS.forEach(CpuBackend::close);
    }

    /** The composition of the separate ops, as an unfused network runs them. */
    private static Result separate(CpuBackend be, Input in, boolean training) {
        Tensor bnOut = tensor(be, nans(in.size()), in.n, in.c, in.s), relu = tensor(be, nans(in.size()), in.n, in.c, in.s);
        Stats st = in.stats(be);
        if (training) {
            be.batchNormForwardTraining(in.n, in.c, in.s, in.x(be), bnOut, in.gamma(be), in.beta(be), st.rm, st.rv, st.sm, st.si, MOMENTUM, EPS);
        } else {
            be.batchNormForwardInference(in.n, in.c, in.s, in.x(be), bnOut, in.gamma(be), in.beta(be), st.rm, st.rv, EPS);
        }
        be.elementwise().reluForward(bnOut, relu);
        if (!training) return new Result(read(be, relu), st.read(be), null, null, null);
        Tensor dz = tensor(be, nans(in.size()), in.n, in.c, in.s), dx = tensor(be, nans(in.size()), in.n, in.c, in.s);
        Tensor dg = tensor(be, nans(in.c), in.c), db = tensor(be, nans(in.c), in.c);
        be.elementwise().reluBackward(relu, in.dy(be), dz);
        be.batchNormBackward(in.n, in.c, in.s, in.x(be), dz, in.gamma(be), st.sm, st.si, dx, dg, db, EPS);
        return new Result(read(be, relu), st.read(be), read(be, dx), read(be, dg), read(be, db));
    }

    /** The fused ops of {@code ops} (CpuBackend's own, or Backend's defaults through {@link #defaults}) on CpuBackend's memory. */
    private static Result fused(CpuBackend be, Backend ops, Input in, boolean training) {
        Tensor y = tensor(be, nans(in.size()), in.n, in.c, in.s);
        Stats st = in.stats(be);
        if (training) {
            ops.batchNormReluForwardTraining(in.n, in.c, in.s, in.x(be), y, in.gamma(be), in.beta(be), st.rm, st.rv, st.sm, st.si, MOMENTUM, EPS);
        } else {
            ops.batchNormReluForwardInference(in.n, in.c, in.s, in.x(be), y, in.gamma(be), in.beta(be), st.rm, st.rv, EPS);
        }
        if (!training) return new Result(read(be, y), st.read(be), null, null, null);
        Tensor dx = tensor(be, nans(in.size()), in.n, in.c, in.s);
        Tensor dg = tensor(be, nans(in.c), in.c), db = tensor(be, nans(in.c), in.c);
        long words = Math.max(1, ops.batchNormReluWorkspaceWords(in.n, in.c, in.s));
        Tensor workspace = tensor(be, nans(words), (int) words);
        ops.batchNormReluBackward(in.n, in.c, in.s, in.x(be), y, in.dy(be), in.gamma(be), st.sm, st.si, dx, dg, db, EPS, workspace);
        return new Result(read(be, y), st.read(be), read(be, dx), read(be, dg), read(be, db));
    }

    @Test
    void fusedBatchNormReluIsBitwiseTheSeparateOps() {
        int cases = 0;
        for (CpuBackend be : BACKENDS) {
            Backend composition = defaults(be);
            assertEquals(0, be.batchNormReluWorkspaceWords(3, 17, 33), "the CPU fusion needs no scratch");
            for (Data data : Data.values()) {
                for (int n = 1; n <= 3; n++) {
                    for (int c : CHANNELS) {
                        for (int s : SPATIAL) {
                            Input in = Input.of(new Random(31L * n + 7L * c + s), data, n, c, s);
                            String what = data + " n=" + n + " c=" + c + " s=" + s + " threads=" + be.threads();
                            for (boolean training : new boolean[]{false, true}) {
                                if (training && n * s < 2) continue; // no batch statistics
                                Result expected = separate(be, in, training);
                                String mode = what + (training ? " training" : " inference");
                                expected.assertSame(fused(be, be, in, training), mode + ", CpuBackend's fused ops");
                                expected.assertSame(fused(be, composition, in, training), mode + ", Backend's default composition");
                                cases++;
                            }
                        }
                    }
                }
            }
        }
        assertTrue(cases > 100, cases + " cases");
    }

    /** The inputs are what they claim: the masked cases mask every element, the mixed ones some, the NaN ones carry NaN through. */
    @Test
    void theInputsCoverEveryMaskCase() {
        CpuBackend be = BACKENDS.getFirst();
        Result mixed = separate(be, Input.of(new Random(1), Data.MIXED, 3, 3, 33), true);
        Result negative = separate(be, Input.of(new Random(1), Data.ALL_NEGATIVE, 3, 3, 33), true);
        Result nan = separate(be, Input.of(new Random(1), Data.NAN, 3, 3, 33), true);
        long positive = count(mixed.y, v -> v > 0), zero = count(mixed.y, v -> v == 0);
        assertTrue(positive > 50 && zero > 50, positive + " positive, " + zero + " zero outputs of " + mixed.y.length);
        assertEquals(negative.y.length, count(negative.y, v -> v == 0), "every output of the all-negative case is 0");
        assertEquals(negative.dbeta.length, count(negative.dbeta, v -> v == 0), "so every gradient is masked: dbeta 0");
        assertTrue(count(nan.y, Float::isNaN) > 0 && count(nan.dx, Float::isNaN) > 0, "NaN reaches the outputs and dx");
    }

    @Test
    void fusedAddReluIsBitwiseAddThenRelu() {
        Random r = new Random(5);
        for (CpuBackend be : BACKENDS) {
            ElementwiseOps composition = defaults(be).elementwise();
            // below, at and above one chunk, and an odd tail after the vector lanes
            for (int size : new int[]{1, 7, 33, CpuBackend.CHUNK, 2 * CpuBackend.CHUNK + 13}) {
                float[] a = random(r, size), b = random(r, size);
                a[0] = Float.NaN;
                if (size > 2) {
                    a[1] = -0f;
                    b[1] = -0f; // -0 + -0 = -0, which max(., 0) turns into +0
                    b[2] = Float.NEGATIVE_INFINITY;
                }
                Tensor ta = tensor(be, a, size), tb = tensor(be, b, size);
                Tensor sum = tensor(be, nans(size), size), expected = tensor(be, nans(size), size);
                be.elementwise().add(ta, tb, sum);
                be.elementwise().reluForward(sum, expected);
                for (ElementwiseOps ops : new ElementwiseOps[]{be.elementwise(), composition}) {
                    Tensor out = tensor(be, nans(size), size);
                    ops.addRelu(ta, tb, out);
                    assertSameBits(read(be, expected), read(be, out), "addRelu of " + size + " with " + be.threads() + " threads");
                }
                Tensor inPlace = tensor(be, a, size);
                be.elementwise().addRelu(inPlace, tb, inPlace);
                assertSameBits(read(be, expected), read(be, inPlace), "addRelu into its operand a, " + size);
            }
        }
    }

    private static long count(float[] values, FloatTest test) {
        long c = 0;
        for (float v : values) if (test.test(v)) c++;
        return c;
    }

    private interface FloatTest {
        boolean test(float v);
    }

    /**
     * {@code be} seen through {@link Backend}'s and {@link ElementwiseOps}' default methods: the
     * fused ops run as the interfaces compose them, everything else is CpuBackend's.
     */
    private static Backend defaults(CpuBackend be) {
        ElementwiseOps elementwise = proxy(ElementwiseOps.class, be.elementwise(), null);
        return proxy(Backend.class, be, elementwise);
    }

    private static <T> T proxy(Class<T> type, T target, Object elementwise) {
        InvocationHandler h = (self, m, args) -> {
            if (m.isDefault() && isFused(m)) return InvocationHandler.invokeDefault(self, m, args);
            if (elementwise != null && m.getName().equals("elementwise")) return elementwise;
            try {
                return m.invoke(target, args);
            } catch (InvocationTargetException e) {
                throw e.getCause();
            }
        };
        return type.cast(Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[]{type}, h));
    }

    private static boolean isFused(Method m) {
        return m.getName().startsWith("batchNormRelu") || m.getName().equals("addRelu");
    }

    /** Host copies of one case's inputs; each backend gets fresh tensors of them. */
    private record Input(int n, int c, int s, float[] xs, float[] dys, float[] gammas, float[] betas, float[] means, float[] vars) {
        static Input of(Random r, Data data, int n, int c, int s) {
            int size = n * c * s;
            float[] x = random(r, size), dy = random(r, size), gamma = random(r, c), beta = random(r, c);
            float[] mean = random(r, c), var = new float[c];
            for (int i = 0; i < c; i++) var[i] = 0.25f + r.nextFloat();
            switch (data) {
                case MIXED -> {
                    for (int i = 0; i < size; i += 5) x[i] = 0f; // exact zeros: inference outputs at the kink
                }
                case ALL_NEGATIVE -> {
                    for (int i = 0; i < size; i++) x[i] = -Math.abs(x[i]) - 1;
                    for (int i = 0; i < c; i++) {
                        gamma[i] = Math.abs(gamma[i]) * 1e-3f;
                        beta[i] = -100f; // every normalised value ends far below 0, running statistics or batch ones
                    }
                }
                case NAN -> {
                    x[size / 2] = Float.NaN; // one channel's statistics and outputs turn NaN
                    dy[0] = Float.NaN;
                    dy[size - 1] = Float.NaN;
                }
            }
            return new Input(n, c, s, x, dy, gamma, beta, mean, var);
        }

        long size() { return (long) n * c * s; }
        Tensor x(Backend be) { return tensor(be, xs, n, c, s); }
        Tensor dy(Backend be) { return tensor(be, dys, n, c, s); }
        Tensor gamma(Backend be) { return tensor(be, gammas, c); }
        Tensor beta(Backend be) { return tensor(be, betas, c); }
        Stats stats(Backend be) { return new Stats(tensor(be, means, c), tensor(be, vars, c), tensor(be, nans(c), c), tensor(be, nans(c), c)); }
    }

    /** Running mean and variance, saved mean and inverse deviation. */
    private record Stats(Tensor rm, Tensor rv, Tensor sm, Tensor si) {
        float[][] read(Backend be) {
            return new float[][]{CpuTestSupport.read(be, rm), CpuTestSupport.read(be, rv), CpuTestSupport.read(be, sm), CpuTestSupport.read(be, si)};
        }
    }

    /** What one path wrote; the backward fields are null for inference. */
    private record Result(float[] y, float[][] stats, float[] dx, float[] dgamma, float[] dbeta) {
        void assertSame(Result actual, String what) {
            assertSameBits(y, actual.y, what + ": y");
            String[] names = {"running mean", "running var", "saved mean", "saved inverse std"};
            for (int i = 0; i < names.length; i++) assertSameBits(stats[i], actual.stats[i], what + ": " + names[i]);
            if (dx == null) return;
            assertSameBits(dx, actual.dx, what + ": dx");
            assertSameBits(dgamma, actual.dgamma, what + ": dgamma");
            assertSameBits(dbeta, actual.dbeta, what + ": dbeta");
        }
    }
}
