package io.sparsestep.analysis;

import java.util.Arrays;
import java.util.Comparator;
import java.util.stream.IntStream;

/**
 * Eigenvalues and eigenvectors of a real symmetric matrix by the cyclic Jacobi method
 * (Golub and Van Loan, Matrix Computations, 8.5): sweeps over the pairs (p, q), p < q, in row
 * order, each rotation zeroing A[p][q], until the off-diagonal part is below
 * {@code 1e-15} of the matrix's Frobenius norm (or 100 sweeps). Double precision, one fixed
 * order of operations, so the result is reproducible bit for bit. Values are returned in
 * descending order (ties by index, lowest first); {@code vectors[i][k]} is entry i of the
 * eigenvector of {@code values[k]}, each of unit length.
 */
public final class SymmetricEigen {
    public record Result(double[] values, double[][] vectors) {}

    private static final int MAX_SWEEPS = 100;
    private static final double TOLERANCE = 1e-15;

    private SymmetricEigen() {}

    public static Result of(double[][] matrix) {
        int n = matrix.length;
        double[][] a = new double[n][];
        for (int i = 0; i < n; i++) {
            if (matrix[i].length != n) throw new IllegalArgumentException("a symmetric matrix is square; row " + i + " has " + matrix[i].length + " of " + n);
            a[i] = matrix[i].clone();
            for (int j = 0; j < i; j++) {
                if (a[i][j] != matrix[j][i]) throw new IllegalArgumentException("not symmetric at (" + i + ", " + j + ")");
                if (!Double.isFinite(a[i][j])) throw new IllegalArgumentException("entry (" + i + ", " + j + ") is " + a[i][j]);
            }
            if (!Double.isFinite(a[i][i])) throw new IllegalArgumentException("entry (" + i + ", " + i + ") is " + a[i][i]);
        }
        double[][] v = new double[n][n];
        for (int i = 0; i < n; i++) v[i][i] = 1;
        double norm = 0;
        for (double[] row : a) for (double x : row) norm += x * x;
        for (int sweep = 0; sweep < MAX_SWEEPS && offDiagonal(a) > TOLERANCE * TOLERANCE * norm; sweep++) {
            for (int p = 0; p < n - 1; p++) for (int q = p + 1; q < n; q++) rotate(a, v, p, q);
        }
        double[] d = new double[n];
        for (int i = 0; i < n; i++) d[i] = a[i][i];
        Integer[] order = IntStream.range(0, n).boxed().toArray(Integer[]::new);
        Arrays.sort(order, Comparator.<Integer>comparingDouble(i -> -d[i]).thenComparingInt(i -> i));
        double[] values = new double[n];
        double[][] vectors = new double[n][n];
        for (int k = 0; k < n; k++) {
            values[k] = d[order[k]];
            for (int i = 0; i < n; i++) vectors[i][k] = v[i][order[k]];
        }
        return new Result(values, vectors);
    }

    /** Sum of squares above the diagonal, twice (both triangles). */
    private static double offDiagonal(double[][] a) {
        double s = 0;
        for (int i = 0; i < a.length; i++) for (int j = i + 1; j < a.length; j++) s += a[i][j] * a[i][j];
        return 2 * s;
    }

    /** The Jacobi rotation in the (p, q) plane that zeroes a[p][q] (the symmetric Schur decomposition of that 2x2 block). */
    private static void rotate(double[][] a, double[][] v, int p, int q) {
        double apq = a[p][q];
        if (apq == 0) return;
        double tau = (a[q][q] - a[p][p]) / (2 * apq);
        // the smaller rotation angle, |theta| <= pi/4, which is what makes the method converge
        double t = (tau >= 0 ? 1 : -1) / (Math.abs(tau) + Math.sqrt(1 + tau * tau));
        double c = 1 / Math.sqrt(1 + t * t), s = t * c;
        int n = a.length;
        for (int k = 0; k < n; k++) {
            double akp = a[k][p], akq = a[k][q];
            a[k][p] = c * akp - s * akq;
            a[k][q] = s * akp + c * akq;
        }
        for (int k = 0; k < n; k++) {
            double apk = a[p][k], aqk = a[q][k];
            a[p][k] = c * apk - s * aqk;
            a[q][k] = s * apk + c * aqk;
        }
        a[p][q] = 0;
        a[q][p] = 0;
        for (int k = 0; k < n; k++) {
            double vkp = v[k][p], vkq = v[k][q];
            v[k][p] = c * vkp - s * vkq;
            v[k][q] = s * vkp + c * vkq;
        }
    }
}
