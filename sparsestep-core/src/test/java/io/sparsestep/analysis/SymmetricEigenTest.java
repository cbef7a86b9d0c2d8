package io.sparsestep.analysis;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The Jacobi solver against hand-solved matrices and, on a random dense one, the definition A v = lambda v with V orthonormal. */
class SymmetricEigenTest {
    @Test
    void twoByTwoByHand() {
        // [[2, 1], [1, 2]]: eigenvalues 3 and 1, eigenvectors (1, 1)/sqrt 2 and (1, -1)/sqrt 2
        Cols r = cols(new double[][] {{2, 1}, {1, 2}});
        assertArrayEquals(new double[] {3, 1}, r.values(), 1e-15);
        assertEquals(Math.abs(r.vectors()[0][0]), Math.sqrt(0.5), 1e-15);
        assertEquals(r.vectors()[0][0], r.vectors()[1][0], 1e-15);
        assertEquals(r.vectors()[0][1], -r.vectors()[1][1], 1e-15);
    }

    @Test
    void threeByThreeByHand() {
        // [[4, 1, 0], [1, 4, 1], [0, 1, 4]]: 4 + sqrt 2, 4, 4 - sqrt 2 (a tridiagonal Toeplitz matrix: 4 + 2 cos(k pi / 4))
        Cols r = cols(new double[][] {{4, 1, 0}, {1, 4, 1}, {0, 1, 4}});
        assertArrayEquals(new double[] {4 + Math.sqrt(2), 4, 4 - Math.sqrt(2)}, r.values(), 1e-14);
        // a diagonal matrix: its entries, sorted descending, ties by index
        Cols d = cols(new double[][] {{1, 0, 0}, {0, 5, 0}, {0, 0, 1}});
        assertArrayEquals(new double[] {5, 1, 1}, d.values());
        assertEquals(1.0, d.vectors()[1][0]);
        assertEquals(1.0, d.vectors()[0][1], "the tie goes to the lower index first");
        assertEquals(1.0, d.vectors()[2][2]);
    }

    @Test
    void aRandomDenseMatrixSatisfiesTheDefinitionAndIsReproducible() {
        int n = 40;
        Random rng = new Random(11);
        double[][] a = new double[n][n];
        for (int i = 0; i < n; i++) for (int j = 0; j <= i; j++) a[i][j] = a[j][i] = rng.nextGaussian();
        Cols r = cols(a);
        double trace = 0, sum = 0;
        for (int i = 0; i < n; i++) trace += a[i][i];
        for (int k = 0; k < n; k++) {
            sum += r.values()[k];
            if (k > 0) assertTrue(r.values()[k] <= r.values()[k - 1], "descending");
            for (int i = 0; i < n; i++) {
                double av = 0;
                for (int j = 0; j < n; j++) av += a[i][j] * r.vectors()[j][k];
                assertEquals(r.values()[k] * r.vectors()[i][k], av, 1e-10, "(A v)[" + i + "] for eigenvalue " + k);
            }
            for (int l = 0; l < n; l++) {
                double dot = 0;
                for (int i = 0; i < n; i++) dot += r.vectors()[i][k] * r.vectors()[i][l];
                assertEquals(k == l ? 1 : 0, dot, 1e-12, "V^T V at (" + k + ", " + l + ")");
            }
        }
        assertEquals(trace, sum, 1e-10, "the eigenvalues sum to the trace");
        Cols again = cols(a);
        assertArrayEquals(r.values(), again.values(), 0.0, "bit for bit the same");
        for (int i = 0; i < n; i++) assertArrayEquals(r.vectors()[i], again.vectors()[i], 0.0);
    }

    @Test
    void aMatrixThatIsNotSymmetricIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> SymmetricEigen.of(new double[][] {{1, 2}, {3, 1}}));
        assertThrows(IllegalArgumentException.class, () -> SymmetricEigen.of(new double[][] {{1, Double.NaN}, {Double.NaN, 1}}));
    }

    /** The eigenvectors as columns: {@code vectors[i][k]} is entry i of the eigenvector of {@code values[k]}. */
    private record Cols(double[] values, double[][] vectors) {}

    private static Cols cols(double[][] a) {
        SymmetricEigen.Decomposition d = SymmetricEigen.of(a);
        int n = d.values().length;
        double[][] v = new double[n][n];
        for (int k = 0; k < n; k++) for (int i = 0; i < n; i++) v[i][k] = d.vectors()[k][i];
        return new Cols(d.values(), v);
    }
}
