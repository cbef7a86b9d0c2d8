package io.sparsestep.analysis;

import java.util.Arrays;

/**
 * Eigenvalues and eigenvectors of a small dense symmetric matrix (Lanczos' tridiagonal
 * matrix, tens to a few hundred rows) by the cyclic Jacobi method: rotations that zero one
 * off-diagonal entry at a time, sweeping until the off-diagonal mass is below double
 * rounding of the diagonal. Slower than QL but simple and accurate to a few ulps of the
 * largest eigenvalue, which is what the Ritz values need; O(m^3) per sweep, about ten sweeps.
 */
public final class SymmetricEigen {
    private static final int MAX_SWEEPS = 100;

    /** Eigenvalues in decreasing order (equal ones by index, lowest first: the sort is stable), and {@code vectors[i]} the unit eigenvector of {@code values[i]}. */
    public record Decomposition(double[] values, double[][] vectors) {}

    private SymmetricEigen() {}

    /** Decomposes {@code a} (m x m, symmetric and finite, else refused; only read, never changed). */
    public static Decomposition of(double[][] a) {
        int m = a.length;
        double[][] s = new double[m][];
        for (int i = 0; i < m; i++) {
            if (a[i].length != m) throw new IllegalArgumentException("row " + i + " has " + a[i].length + " entries, not " + m);
            s[i] = a[i].clone();
        }
        double largest = 0;
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < m; j++) {
                if (!Double.isFinite(a[i][j])) throw new IllegalArgumentException("entry (" + i + ", " + j + ") is " + a[i][j]);
                largest = Math.max(largest, Math.abs(a[i][j]));
            }
        }
        // symmetric up to the rounding of a product like Q D Q^T, not a matrix of another shape
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < i; j++) {
                if (Math.abs(a[i][j] - a[j][i]) > 1e-10 * largest) throw new IllegalArgumentException("not symmetric at (" + i + ", " + j + ")");
            }
        }
        // v holds the rotations' product by columns: column j is the eigenvector of s[j][j]
        double[][] v = new double[m][m];
        for (int i = 0; i < m; i++) v[i][i] = 1;
        for (int sweep = 0; sweep < MAX_SWEEPS && !diagonal(s); sweep++) {
            for (int p = 0; p < m - 1; p++) {
                for (int q = p + 1; q < m; q++) rotate(s, v, p, q);
            }
        }
        if (!diagonal(s)) throw new IllegalStateException("Jacobi did not converge in " + MAX_SWEEPS + " sweeps (a NaN in the matrix?)");
        Integer[] order = new Integer[m];
        for (int i = 0; i < m; i++) order[i] = i;
        Arrays.sort(order, (x, y) -> Double.compare(s[y][y], s[x][x]));
        double[] values = new double[m];
        double[][] vectors = new double[m][m];
        for (int i = 0; i < m; i++) {
            int c = order[i];
            values[i] = s[c][c];
            for (int r = 0; r < m; r++) vectors[i][r] = v[r][c];
        }
        return new Decomposition(values, vectors);
    }

    /** Off-diagonal mass negligible against the diagonal (or everything exactly zero). */
    private static boolean diagonal(double[][] s) {
        double off = 0, diag = 0;
        for (int i = 0; i < s.length; i++) {
            diag += s[i][i] * s[i][i];
            for (int j = i + 1; j < s.length; j++) off += s[i][j] * s[i][j];
        }
        return off <= 1e-32 * diag || off == 0;
    }

    /** One Jacobi rotation in the (p, q) plane that makes s[p][q] zero (Golub and Van Loan, algorithm 8.5.1). */
    private static void rotate(double[][] s, double[][] v, int p, int q) {
        double apq = s[p][q];
        if (apq == 0) return;
        double tau = (s[q][q] - s[p][p]) / (2 * apq);
        // the smaller of the two angles, for stability
        double t = Math.signum(tau) / (Math.abs(tau) + Math.sqrt(1 + tau * tau));
        if (tau == 0) t = 1;
        double c = 1 / Math.sqrt(1 + t * t), sn = t * c;
        int m = s.length;
        for (int k = 0; k < m; k++) {
            double skp = s[k][p], skq = s[k][q];
            s[k][p] = c * skp - sn * skq;
            s[k][q] = sn * skp + c * skq;
        }
        for (int k = 0; k < m; k++) {
            double spk = s[p][k], sqk = s[q][k];
            s[p][k] = c * spk - sn * sqk;
            s[q][k] = sn * spk + c * sqk;
        }
        s[p][q] = 0;
        s[q][p] = 0;
        for (int k = 0; k < m; k++) {
            double vkp = v[k][p], vkq = v[k][q];
            v[k][p] = c * vkp - sn * vkq;
            v[k][q] = sn * vkp + c * vkq;
        }
    }
}
