package io.sparsestep.backend.cuda;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The row-major to column-major mapping, checked by feeding its arguments to a naive
 * column-major SGEMM written here from the BLAS definition and comparing with a naive
 * row-major product over the same bytes.
 */
class GemmMappingTest {

    /** BLAS sgemm: C[i + j*ldc] = alpha * sum_l op(A)[i,l] op(B)[l,j] + beta*C, column-major. */
    private static void columnMajorSgemm(boolean transA, boolean transB, int m, int n, int k, double alpha,
                                         double[] a, int lda, double[] b, int ldb, double beta, double[] c, int ldc) {
        for (int j = 0; j < n; j++) {
            for (int i = 0; i < m; i++) {
                double sum = 0;
                for (int l = 0; l < k; l++) {
                    double av = transA ? a[l + i * lda] : a[i + l * lda];
                    double bv = transB ? b[j + l * ldb] : b[l + j * ldb];
                    sum += av * bv;
                }
                c[i + j * ldc] = alpha * sum + (beta == 0 ? 0 : beta * c[i + j * ldc]);
            }
        }
    }

    /** Row-major C[m,n] = alpha op(A) op(B) + beta C, A stored [m,k] or [k,m], B stored [k,n] or [n,k]. */
    private static double[] rowMajorReference(boolean transA, boolean transB, int m, int n, int k, double alpha,
                                              double[] a, double[] b, double beta, double[] c) {
        double[] out = new double[m * n];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double sum = 0;
                for (int p = 0; p < k; p++) {
                    double av = transA ? a[p * m + i] : a[i * k + p];
                    double bv = transB ? b[j * k + p] : b[p * n + j];
                    sum += av * bv;
                }
                out[i * n + j] = alpha * sum + (beta == 0 ? 0 : beta * c[i * n + j]);
            }
        }
        return out;
    }

    @Test
    void mappedCallComputesTheRowMajorProduct() {
        SplittableRandom r = new SplittableRandom(7);
        int[][] shapes = {{1, 1, 1}, {2, 3, 4}, {7, 5, 3}, {5, 1, 9}, {1, 6, 2}, {33, 17, 65}};
        for (int[] s : shapes) {
            int m = s[0], n = s[1], k = s[2];
            for (int t = 0; t < 4; t++) {
                boolean ta = (t & 1) != 0, tb = (t & 2) != 0;
                double[] a = random(r, m * k), b = random(r, k * n), c = random(r, m * n);
                double[] want = rowMajorReference(ta, tb, m, n, k, 1.5, a, b, 0.25, c);

                GemmMapping g = GemmMapping.rowMajor(ta, tb, m, n, k);
                double[] got = c.clone();
                columnMajorSgemm(g.transFirst(), g.transSecond(), g.rows(), g.cols(), g.inner(), 1.5,
                        b, g.ldFirst(), a, g.ldSecond(), 0.25, got, g.ldc());

                for (int i = 0; i < want.length; i++) {
                    assertEquals(want[i], got[i], 1e-12, "m=" + m + " n=" + n + " k=" + k + " transA=" + ta + " transB=" + tb + " at " + i);
                }
            }
        }
    }

    @Test
    void leadingDimensionsSatisfyBlasMinimums() {
        for (int t = 0; t < 4; t++) {
            boolean ta = (t & 1) != 0, tb = (t & 2) != 0;
            GemmMapping g = GemmMapping.rowMajor(ta, tb, 3, 11, 7);
            // stored rows of each column-major operand: op N -> rows x inner, op T -> inner x rows
            assertTrue(g.ldFirst() >= (g.transFirst() ? g.inner() : g.rows()));
            assertTrue(g.ldSecond() >= (g.transSecond() ? g.cols() : g.inner()));
            assertEquals(g.rows(), g.ldc());
        }
    }

    @Test
    void explicitMappingOfTheTwoCommonLinearLayerCalls() {
        // forward y[batch,out] = x[batch,in] * W[out,in]^T
        assertEquals(new GemmMapping(true, false, 10, 32, 784, 784, 784, 10), GemmMapping.rowMajor(false, true, 32, 10, 784));
        // weight gradient dW[out,in] = dy[batch,out]^T * x[batch,in]
        assertEquals(new GemmMapping(false, true, 784, 10, 32, 784, 10, 784), GemmMapping.rowMajor(true, false, 10, 784, 32));
    }

    @Test
    void emptyDimensionsAreRejected() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> GemmMapping.rowMajor(false, false, 0, 3, 4));
        assertEquals("gemm needs m, n, k >= 1, got 0, 3, 4", e.getMessage());
    }

    private static double[] random(SplittableRandom r, int n) {
        double[] v = new double[n];
        for (int i = 0; i < n; i++) v[i] = r.nextDouble(-1, 1);
        return v;
    }
}
