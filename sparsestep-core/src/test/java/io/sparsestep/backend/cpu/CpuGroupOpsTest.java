package io.sparsestep.backend.cpu;

import io.sparsestep.backend.Buffer;
import io.sparsestep.backend.DType;
import io.sparsestep.backend.GroupGeometry;
import io.sparsestep.backend.GroupGeometry.Grouping;
import io.sparsestep.backend.GroupOps;
import io.sparsestep.backend.GroupOps.Norm;
import io.sparsestep.backend.Tensor;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.util.Random;

import static io.sparsestep.backend.cpu.CpuTestSupport.read;
import static io.sparsestep.backend.cpu.CpuTestSupport.tensor;
import static io.sparsestep.testing.Bits.assertSameBits;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link CpuGroupOps}: hand-computed goldens for each grouping, group size 1 against gRDA's
 * step bit for bit, the documented reduction order (replayed here from its description, as
 * an xor butterfly of 32 lanes, not as the twin's pairwise loop), the direction of each
 * group kept, zero and NaN groups, bitwise the same result on 1 and 4 threads, and bad
 * arguments in one line.
 */
class CpuGroupOpsTest {
    private static Tensor doubles(CpuBackend be, int n) {
        Buffer b = be.allocate(2L * n + 2, "sums");
        return new Tensor(b, DType.F64, 1, n); // 8-byte offset: not a 16-byte boundary
    }

    private static double[] readDoubles(CpuBackend be, Tensor t) {
        double[] out = new double[Math.toIntExact(t.size())];
        be.download(t, MemorySegment.ofArray(out));
        return out;
    }

    @Test
    void sdprunShrinksEachFilterByHand() {
        try (CpuBackend be = new CpuBackend(2)) {
            // [2, 1, 2, 2]: two filters of four. g = 0.5 everywhere, lr 2: acc - 1.
            GroupGeometry geo = GroupGeometry.of(new int[] {2, 1, 2, 2}, Grouping.FILTERS);
            Tensor acc = tensor(be, new float[] {4, 5, 1, 1, 1.25f, 0.5f, 1, 1}, 2, 1, 2, 2);
            Tensor g = tensor(be, new float[] {0.5f, 0.5f, 0.5f, 0.5f, 0.5f, 0.5f, 0.5f, 0.5f}, 8);
            Tensor w = tensor(be, new float[8], 8), sums = doubles(be, 2), counter = tensor(be, new float[1], 1);
            be.groups().sdprun(geo, w, g, acc, 2f, 1f, sums, counter);
            // filter 0: acc = [3, 4, 0, 0], ||acc|| = 5, factor 1 - 1/5 = 0.8: [2.4, 3.2, 0, 0]
            // filter 1: acc = [0.25, -0.5, 0, 0], ||acc|| = sqrt(0.3125) = 0.559 <= 1: pruned to +0.0
            assertSameBits(new float[] {3, 4, 0, 0, 0.25f, -0.5f, 0, 0}, read(be, acc), "acc");
            assertSameBits(new float[] {2.4f, 3.2f, 0, 0, 0, 0, 0, 0}, read(be, w), "w");
            assertArrayEquals(new double[] {25, 0.3125}, readDoubles(be, sums));
            assertEquals(6, be.readCounter(counter), "zeros written: two in filter 0, four in filter 1");
        }
    }

    @Test
    void channelsAndKernelsGroupTheRightElements() {
        try (CpuBackend be = new CpuBackend(1)) {
            // [2, 2, 2]: W[o][i][k] = x[4o + 2i + k]
            float[] x = {1, -2, 3, 4, -5, 6, 7, -8};
            Tensor t = tensor(be, x, 2, 2, 2);
            // channels: channel 0 = W[:, 0, :] = {1, -2, -5, 6}, channel 1 = {3, 4, 7, -8}
            assertArrayEquals(new float[] {14, 22}, norms(be, new GroupGeometry(2, 2, 2, Grouping.CHANNELS), Norm.L1, t));
            assertArrayEquals(new float[] {(float) Math.sqrt(66), (float) Math.sqrt(138)},
                    norms(be, new GroupGeometry(2, 2, 2, Grouping.CHANNELS), Norm.L2, t));
            // kernels: {1, -2}, {3, 4}, {-5, 6}, {7, -8}; filters: {1, -2, 3, 4}, {-5, 6, 7, -8}
            assertArrayEquals(new float[] {3, 7, 11, 15}, norms(be, new GroupGeometry(2, 2, 2, Grouping.KERNELS), Norm.L1, t));
            assertArrayEquals(new float[] {10, 26}, norms(be, new GroupGeometry(2, 2, 2, Grouping.FILTERS), Norm.L1, t));
            // a channel mask: channel 1 pruned in both filters, -0.0 never written
            Buffer mb = be.allocate(2, "mask");
            Tensor mask = new Tensor(mb, DType.U8, 3, 2);
            be.upload(MemorySegment.ofArray(new byte[] {5, 0}), mask);
            be.groups().applyMask(new GroupGeometry(2, 2, 2, Grouping.CHANNELS), mask, t);
            assertSameBits(new float[] {1, -2, 0, 0, -5, 6, 0, 0}, read(be, t), "channel 1 masked");
        }
    }

    private static float[] norms(CpuBackend be, GroupGeometry geo, Norm norm, Tensor x) {
        Tensor out = tensor(be, new float[geo.groups()], geo.groups());
        be.groups().norms(geo, norm, x, out);
        return read(be, out);
    }

    /** One element per group is gRDA's soft threshold itself, for every sign, tie and NaN, -0.0 included. */
    @Test
    void groupsOfOneElementAreGrdaBitForBit() {
        try (CpuBackend be = new CpuBackend(2)) {
            Random r = new Random(3);
            int n = 2 * CpuBackend.CHUNK + 77;
            float[] acc0 = new float[n], g = new float[n];
            for (int i = 0; i < n; i++) {
                acc0[i] = (float) (r.nextGaussian() * 0.2);
                g[i] = (float) r.nextGaussian();
            }
            acc0[0] = -0f;
            g[0] = 0f;
            acc0[1] = Float.NaN;
            acc0[2] = 0.3f + 0.1f * 0.25f; // a - lr*g lands on the threshold: a tie
            g[2] = 0.25f;
            for (float tau : new float[] {0f, 0.3f}) {
                Tensor wa = tensor(be, new float[n], n), acca = tensor(be, acc0, n), ga = tensor(be, g, n);
                Tensor wb = tensor(be, new float[n], n), accb = tensor(be, acc0, n);
                Tensor ca = tensor(be, new float[1], 1), cb = tensor(be, new float[1], 1);
                be.groups().sdprun(GroupGeometry.of(new int[] {n}, Grouping.CHANNELS), wa, ga, acca, 0.1f, tau, null, ca);
                be.steps().grda(wb, ga, accb, 0.1f, tau, cb);
                assertSameBits(read(be, wb), read(be, wa), "w, tau " + tau);
                assertSameBits(read(be, accb), read(be, acca), "acc, tau " + tau);
                assertEquals(be.readCounter(cb), be.readCounter(ca), "zeros");
            }
        }
    }

    @Test
    void sumsFollowTheDocumentedOrderAndShrinkKeepsEachGroupsDirection() {
        int[][] shapes = {{5, 3, 3, 3}, {4, 9, 5, 5}, {3, 1100}, {2, 2050}, {6, 5, 3, 3}, {40, 3}};
        Random r = new Random(7);
        try (CpuBackend be = new CpuBackend(3)) {
            for (int[] shape : shapes) {
                for (Grouping grouping : Grouping.values()) {
                    GroupGeometry geo = GroupGeometry.of(shape, grouping);
                    int n = geo.size();
                    float[] acc0 = wide(r, n), g = wide(r, n);
                    Tensor w = tensor(be, new float[n], n), acc = tensor(be, acc0, n), gt = tensor(be, g, n);
                    Tensor sums = doubles(be, geo.groups());
                    be.groups().sdprun(geo, w, gt, acc, 0.5f, 0.02f, sums, null);
                    float[] a = read(be, acc), wv = read(be, w);
                    double[] s = readDoubles(be, sums);
                    String what = geo.toString();
                    for (int gi = 0; gi < geo.groups(); gi++) {
                        double[] terms = new double[geo.groupSize()];
                        double plain = 0;
                        for (int p = 0; p < terms.length; p++) {
                            int e = Math.toIntExact(geo.element(gi, p));
                            assertSameBits(acc0[e] - 0.5f * g[e], a[e], what + " acc[" + e + "]");
                            terms[p] = (double) a[e] * a[e];
                            plain += terms[p];
                        }
                        assertEquals(Double.doubleToRawLongBits(documentedOrder(terms)), Double.doubleToRawLongBits(s[gi]), what + " group " + gi);
                        assertEquals(plain, s[gi], 1e-12 * plain, what + " group " + gi + " is a sum of squares");
                        // w_G = k * acc_G with one k >= 0 for the whole group
                        double k = Double.NaN;
                        for (int p = 0; p < terms.length; p++) {
                            int e = Math.toIntExact(geo.element(gi, p));
                            if (wv[e] == 0) continue;
                            assertTrue(Math.signum(wv[e]) == Math.signum(a[e]), what + ": w[" + e + "] flipped sign");
                            double ratio = (double) wv[e] / a[e];
                            if (Double.isNaN(k)) k = ratio;
                            assertEquals(k, ratio, 1e-6 * k, what + " group " + gi + ": one factor for the whole group");
                        }
                    }
                }
            }
        }
    }

    /**
     * The order of {@link GroupOps}, from its description: up to 32 terms in sequence; else
     * 1024 partial sums (p mod 1024), per 256-thread-block thread (s0 + s1) + (s2 + s3), a
     * 32-lane xor butterfly per warp (lane l adds lane l ^ o), lane 0's result per warp, and
     * the same butterfly over the 8 warp results and 24 zeros.
     */
    static double documentedOrder(double[] terms) {
        if (terms.length <= GroupOps.SEQUENTIAL_MAX) {
            double s = 0;
            for (double t : terms) s += t;
            return s;
        }
        double[] partial = new double[GroupOps.LANES];
        for (int p = 0; p < terms.length; p++) partial[p % GroupOps.LANES] += terms[p];
        double[] warpTotals = new double[32];
        for (int warp = 0; warp < 8; warp++) {
            double[] lanes = new double[32];
            for (int l = 0; l < 32; l++) {
                int t = 32 * warp + l;
                lanes[l] = (partial[4 * t] + partial[4 * t + 1]) + (partial[4 * t + 2] + partial[4 * t + 3]);
            }
            warpTotals[warp] = butterfly(lanes);
        }
        return butterfly(warpTotals);
    }

    private static double butterfly(double[] lanes) {
        double[] v = lanes.clone();
        for (int o = 16; o > 0; o >>= 1) {
            double[] next = new double[32];
            for (int l = 0; l < 32; l++) next[l] = v[l] + v[l ^ o];
            v = next;
        }
        return v[0];
    }

    /** Magnitudes over 2^-31 .. 2, both signs: sums of their squares change with the order. */
    private static float[] wide(Random r, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = Math.scalb((float) (1 + r.nextDouble()) * (r.nextBoolean() ? 1 : -1), -r.nextInt(32));
        return v;
    }

    @Test
    void zeroGroupsArePositiveZeroAndNanGroupsStayNan() {
        try (CpuBackend be = new CpuBackend(1)) {
            GroupGeometry geo = new GroupGeometry(3, 12, 1, Grouping.FILTERS);
            float[] acc0 = new float[36];
            for (int i = 12; i < 36; i++) acc0[i] = i % 2 == 0 ? 0.5f : -0.25f;
            for (int i = 0; i < 12; i++) acc0[i] = i % 2 == 0 ? 0f : -0f; // an all-zero filter, both signs
            acc0[30] = Float.NaN;
            Tensor w = tensor(be, new float[36], 36), acc = tensor(be, acc0, 36), g = tensor(be, new float[36], 36);
            for (float threshold : new float[] {0f, 0.01f}) {
                be.groups().sdprun(geo, w, g, acc, 0.1f, threshold, null, null);
                float[] out = read(be, w);
                for (int i = 0; i < 12; i++) assertSameBits(0f, out[i], "zero filter, threshold " + threshold + ", w[" + i + "]");
                for (int i = 12; i < 24; i++) assertTrue(out[i] != 0 && Math.signum(out[i]) == Math.signum(acc0[i]), "kept filter w[" + i + "]");
                for (int i = 24; i < 36; i++) assertTrue(Float.isNaN(out[i]), "a NaN filter is written NaN, never pruned: w[" + i + "]");
            }
        }
    }

    @Test
    void resultsDoNotDependOnTheThreadCount() {
        GroupGeometry geo = new GroupGeometry(300, 64, 9, Grouping.CHANNELS); // 172,800 elements: split over workers
        Random r = new Random(11);
        float[] acc0 = wide(r, geo.size()), g = wide(r, geo.size());
        float[][] w = new float[2][], acc = new float[2][], norms = new float[2][];
        double[][] sums = new double[2][];
        int[] threads = {1, 4};
        for (int k = 0; k < 2; k++) {
            try (CpuBackend be = new CpuBackend(threads[k])) {
                Tensor wt = tensor(be, new float[geo.size()], geo.size()), at = tensor(be, acc0, geo.size()), gt = tensor(be, g, geo.size());
                Tensor s = doubles(be, geo.groups()), nt = tensor(be, new float[geo.groups()], geo.groups());
                be.groups().sdprun(geo, wt, gt, at, 0.25f, 0.5f, s, null);
                be.groups().norms(geo, Norm.L2, at, nt);
                w[k] = read(be, wt);
                acc[k] = read(be, at);
                sums[k] = readDoubles(be, s);
                norms[k] = read(be, nt);
            }
        }
        assertSameBits(w[0], w[1], "w on 1 and 4 threads");
        assertSameBits(acc[0], acc[1], "acc on 1 and 4 threads");
        assertSameBits(norms[0], norms[1], "norms on 1 and 4 threads");
        assertArrayEquals(sums[0], sums[1], "sums of squares on 1 and 4 threads");
    }

    @Test
    void badArgumentsAreRefusedInOneLine() {
        try (CpuBackend be = new CpuBackend(1)) {
            GroupGeometry geo = new GroupGeometry(2, 3, 1, Grouping.FILTERS);
            Tensor six = tensor(be, new float[6], 6), five = tensor(be, new float[5], 5);
            IllegalArgumentException size = assertThrows(IllegalArgumentException.class,
                    () -> be.groups().sdprun(geo, six, five, six, 0.1f, 0f, null, null));
            assertTrue(size.getMessage().startsWith("sdprun g ") && size.getMessage().endsWith("has 5 elements; the geometry [2, 3, 1] by filters needs 6"),
                    size.getMessage());
            IllegalArgumentException negative = assertThrows(IllegalArgumentException.class,
                    () -> be.groups().sdprun(geo, six, tensor(be, new float[6], 6), tensor(be, new float[6], 6), 0.1f, -1f, null, null));
            assertTrue(negative.getMessage().startsWith("sDprun threshold lambda*tau must be >= 0"), negative.getMessage());
            IllegalArgumentException f32Sums = assertThrows(IllegalArgumentException.class,
                    () -> be.groups().sdprun(geo, six, tensor(be, new float[6], 6), tensor(be, new float[6], 6), 0.1f, 0f,
                            tensor(be, new float[2], 2), null));
            assertTrue(f32Sums.getMessage().contains("this op takes F64"), f32Sums.getMessage());
            assertThrows(IllegalArgumentException.class, () -> new GroupGeometry(0, 3, 1, Grouping.FILTERS));
            assertThrows(IllegalArgumentException.class, () -> new GroupGeometry(65536, 65536, 1, Grouping.FILTERS));
        }
    }
}
