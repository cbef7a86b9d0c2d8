package io.sparsestep.backend.cpu;

import io.sparsestep.backend.Buffer;
import io.sparsestep.backend.Tensor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.Random;

import static io.sparsestep.backend.cpu.CpuTestSupport.*;
import static org.junit.jupiter.api.Assertions.*;

/** gemm against a naive double-precision triple loop; tolerance: relative 1e-4 plus 1e-4 * sqrt(k) absolute. */
class CpuGemmTest {
    private static CpuBackend one, three;

    @BeforeAll
    static void start() {
        one = new CpuBackend(1);
        three = new CpuBackend(3);
    }

    @AfterAll
    static void stop() {
        one.close();
        three.close();
    }

    /** op(A)[i][p] of A stored row-major as [m,k] or, transposed, [k,m]. */
    private static double[] reference(boolean ta, boolean tb, int m, int n, int k, float alpha, float[] a, float[] b,
                                      float beta, float[] c) {
        double[] out = new double[m * n];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double s = 0;
                for (int p = 0; p < k; p++) {
                    double av = ta ? a[p * m + i] : a[i * k + p];
                    double bv = tb ? b[j * k + p] : b[p * n + j];
                    s += av * bv;
                }
                out[i * n + j] = alpha * s + (beta == 0 ? 0 : beta * (double) c[i * n + j]);
            }
        }
        return out;
    }

    private static void check(CpuBackend be, boolean ta, boolean tb, int m, int n, int k, float alpha, float beta, long seed) {
        Random r = new Random(seed);
        float[] a = random(r, m * k), b = random(r, k * n), c = random(r, m * n);
        if (beta == 0) Arrays.fill(c, Float.NaN); // beta = 0 must ignore C, NaN included
        Tensor ta_ = tensor(be, a, ta ? new int[]{k, m} : new int[]{m, k});
        Tensor tb_ = tensor(be, b, tb ? new int[]{n, k} : new int[]{k, n});
        Tensor tc = tensor(be, c, m, n);
        be.gemm(ta, tb, m, n, k, alpha, ta_, tb_, beta, tc);
        double[] expected = reference(ta, tb, m, n, k, alpha, a, b, beta, c);
        assertClose(expected, read(be, tc), 1e-4, 1e-4 * Math.sqrt(k + 1),
                "gemm tA=" + ta + " tB=" + tb + " " + m + "x" + n + "x" + k + " alpha=" + alpha + " beta=" + beta
                        + " threads=" + be.threads());
        for (Tensor t : new Tensor[]{ta_, tb_, tc}) t.buffer().close();
    }

    @Test
    void allTransposesAndAwkwardShapesMatchTheNaiveProduct() {
        int[][] shapes = {{1, 1, 1}, {1, 7, 1}, {7, 1, 33}, {7, 33, 5}, {33, 7, 65}, {17, 40, 300}, {3, 100, 9},
                {65, 97, 259}, {130, 70, 31}};
        long seed = 1;
        for (CpuBackend be : new CpuBackend[]{one, three}) {
            for (int[] s : shapes) {
                for (int t = 0; t < 4; t++) {
                    check(be, (t & 1) != 0, (t & 2) != 0, s[0], s[1], s[2], 1f, 0f, seed++);
                }
            }
        }
    }

    @Test
    void alphaAndBetaScaleTheProductAndTheOldC() {
        long seed = 100;
        for (CpuBackend be : new CpuBackend[]{one, three}) {
            for (int t = 0; t < 4; t++) {
                check(be, (t & 1) != 0, (t & 2) != 0, 37, 45, 29, 0.5f, 2f, seed++);
                check(be, (t & 1) != 0, (t & 2) != 0, 70, 90, 300, -1.5f, 1f, seed++);
                check(be, (t & 1) != 0, (t & 2) != 0, 9, 13, 3, 2f, -0.25f, seed++);
            }
        }
    }

    @Test
    void blockedAndParallelPathsCoverSeveralTilesAndDepthBlocks() {
        // Larger than one MC x NC tile and deeper than one KC block, so packing edges, the
        // k-block accumulation and the tile split across workers all run.
        check(three, false, false, 130, 600, 520, 1f, 0f, 7);
        check(three, true, true, 101, 550, 300, 1f, 0.5f, 8);
        check(one, false, true, 200, 530, 270, 1f, 0f, 9);
    }

    @Test
    void narrowProductsAreComputedTransposedWithTheSameResult() {
        // n = 4 (a convolution over a 2x2 map) fills a fraction of a register tile, so C^T is computed instead.
        assertTrue(CpuGemm.preferTransposed(300, 4));
        assertFalse(CpuGemm.preferTransposed(4, 300));
        long seed = 200;
        for (CpuBackend be : new CpuBackend[]{one, three}) {
            for (int t = 0; t < 4; t++) {
                check(be, (t & 1) != 0, (t & 2) != 0, 300, 4, 200, 1f, 0f, seed++);
                check(be, (t & 1) != 0, (t & 2) != 0, 301, 3, 270, 0.5f, 1.5f, seed++);
            }
        }
    }

    @Test
    void zeroDepthOrZeroAlphaOnlyScalesC() {
        for (CpuBackend be : new CpuBackend[]{one, three}) {
            float[] c = {1, 2, 3, 4, 5, 6};
            Tensor a = zeros(be, 2, 1), b = zeros(be, 1, 3), tc = tensor(be, c.clone(), 2, 3);
            be.gemm(false, false, 2, 3, 0, 1f, a, b, 3f, tc);
            assertArrayEquals(new float[]{3, 6, 9, 12, 15, 18}, read(be, tc));
            float[] nan = new float[2];
            Arrays.fill(nan, Float.NaN);
            Tensor an = tensor(be, nan, 2, 1), bn = tensor(be, new float[]{Float.NaN, 1, 1}, 1, 3);
            be.gemm(false, false, 2, 3, 1, 0f, an, bn, 0f, tc);
            assertArrayEquals(new float[6], read(be, tc), "alpha = 0, beta = 0 clears C without reading A or B");
        }
    }

    @Test
    void rejectsViewsTooSmallOverlappingOrForeign() {
        Tensor a = zeros(one, 4, 5), b = zeros(one, 5, 6), c = zeros(one, 4, 6);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> one.gemm(false, false, 4, 6, 6, 1f, a, b, 0f, c));
        assertTrue(e.getMessage().contains("gemm A"), e.getMessage());
        Buffer shared = one.allocate(100, "shared");
        Tensor in = new Tensor(shared, 0, 4, 5), out = new Tensor(shared, 10, 4, 5);
        assertThrows(IllegalArgumentException.class, () -> one.gemm(false, false, 4, 5, 5, 1f, in, zeros(one, 5, 5), 0f, out));
        Tensor foreign = zeros(three, 4, 5);
        e = assertThrows(IllegalArgumentException.class, () -> one.gemm(false, false, 4, 6, 5, 1f, foreign, b, 0f, c));
        assertTrue(e.getMessage().contains("not memory of this CPU backend"), e.getMessage());
    }
}
