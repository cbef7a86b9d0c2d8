package io.sparsestep.analysis;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Lanczos and the Jacobi eigensolver under it on matrices whose spectrum is known by
 * construction: A = Q diag(lambda) Q^T with Q a random orthogonal matrix (Householder
 * reflections of Gaussian vectors), so the eigenvalues are lambda and the eigenvectors Q's
 * columns, independently of either solver.
 */
class LanczosTest {
    /** A dense symmetric matrix as an operator, counting its applications. */
    static final class Dense implements SymmetricOperator {
        final double[][] a;
        int applications;

        Dense(double[][] a) { this.a = a; }

        @Override
        public int dimension() { return a.length; }

        @Override
        public void apply(double[] v, double[] out) {
            applications++;
            for (int i = 0; i < a.length; i++) {
                double s = 0;
                for (int j = 0; j < a.length; j++) s += a[i][j] * v[j];
                out[i] = s;
            }
        }
    }

    /** Q: the product of n random Householder reflections, orthogonal to rounding. */
    static double[][] randomOrthogonal(int n, Random rng) {
        double[][] q = new double[n][n];
        for (int i = 0; i < n; i++) q[i][i] = 1;
        for (int r = 0; r < n; r++) {
            double[] u = new double[n];
            for (int i = 0; i < n; i++) u[i] = rng.nextGaussian();
            double norm = Math.sqrt(Arrays.stream(u).map(x -> x * x).sum());
            for (int i = 0; i < n; i++) u[i] /= norm;
            // q = q (I - 2 u u^T)
            for (int i = 0; i < n; i++) {
                double d = 0;
                for (int j = 0; j < n; j++) d += q[i][j] * u[j];
                for (int j = 0; j < n; j++) q[i][j] -= 2 * d * u[j];
            }
        }
        return q;
    }

    /** Q diag(lambda) Q^T. */
    static double[][] withSpectrum(double[] lambda, double[][] q) {
        int n = lambda.length;
        double[][] a = new double[n][n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                double s = 0;
                for (int k = 0; k < n; k++) s += q[i][k] * lambda[k] * q[j][k];
                a[i][j] = s;
            }
        }
        return a;
    }

    @Test
    void jacobiRecoversAKnownSpectrumAndItsVectors() {
        Random rng = new Random(3);
        double[] lambda = {4, -2.5, 1e-3, 1, 1, 7.25, 0};
        double[][] q = randomOrthogonal(lambda.length, rng);
        SymmetricEigen.Decomposition d = SymmetricEigen.of(withSpectrum(lambda, q));
        double[] sorted = lambda.clone();
        Arrays.sort(sorted);
        for (int i = 0; i < lambda.length; i++) assertEquals(sorted[lambda.length - 1 - i], d.values()[i], 1e-13);
        // 7.25 is simple: its vector is Q's column 5, up to sign
        assertEquals(1, Math.abs(dotColumn(d.vectors()[0], q, 5)), 1e-12);
        for (int i = 0; i < lambda.length; i++) {
            for (int j = 0; j < lambda.length; j++) {
                assertEquals(i == j ? 1 : 0, Lanczos.dot(d.vectors()[i], d.vectors()[j]), 1e-12, "orthonormal " + i + "," + j);
            }
        }
    }

    @Test
    void topEigenpairsOfARotatedDiagonal() {
        int n = 300;
        Random rng = new Random(11);
        // ten separated outliers above a bulk in [-0.5, 1], as a trained network's Hessian has
        double[] lambda = new double[n];
        for (int i = 0; i < n; i++) lambda[i] = -0.5 + 1.5 * rng.nextDouble();
        double[] top = {50, 31, 20, 12.5, 9, 6, 4, 3, 2.5, 2};
        for (int i = 0; i < top.length; i++) lambda[7 * i + 3] = top[i];
        double[][] q = randomOrthogonal(n, rng);
        Dense op = new Dense(withSpectrum(lambda, q));
        Lanczos.Result r = Lanczos.largest(op, new Lanczos.Settings(10, 200, 1e-10, 5), _ -> {});
        assertTrue(r.converged(), "converged in " + r.steps() + " steps");
        assertTrue(r.steps() < 200, "stopped on the residuals, not the step limit: " + r.steps());
        assertEquals(r.steps(), op.applications, "one application per step");
        for (int i = 0; i < top.length; i++) {
            Lanczos.Eigenpair p = r.pairs().get(i);
            assertEquals(top[i], p.value(), 1e-9 * top[0], "eigenvalue " + i);
            assertEquals(1, Math.abs(dotColumn(p.vector(), q, 7 * i + 3)), 1e-8, "eigenvector " + i);
            // the reported residual is the true one
            double[] ay = new double[n];
            op.apply(p.vector(), ay);
            Lanczos.axpy(-p.value(), p.vector(), ay);
            assertEquals(Lanczos.norm(ay), p.residual(), 1e-9 * top[0], "residual " + i);
            assertTrue(p.residual() <= 1e-10 * top[0]);
        }
        assertTrue(r.smallestRitzValue() < 0, "the bulk's negative end shows: " + r.smallestRitzValue());
    }

    @Test
    void theSameSeedGivesTheSameRunAndAStepLimitIsReported() {
        int n = 60;
        Random rng = new Random(2);
        double[] lambda = new double[n];
        for (int i = 0; i < n; i++) lambda[i] = i; // evenly spaced: slow to converge
        Dense op = new Dense(withSpectrum(lambda, randomOrthogonal(n, rng)));
        Lanczos.Settings s = new Lanczos.Settings(5, 8, 1e-12, 9);
        Lanczos.Result a = Lanczos.largest(op, s, _ -> {}), b = Lanczos.largest(op, s, _ -> {});
        assertFalse(a.converged());
        assertEquals(8, a.steps());
        for (int i = 0; i < 5; i++) {
            assertEquals(a.pairs().get(i).value(), b.pairs().get(i).value(), 0);
            assertTrue(a.pairs().get(i).residual() > 1e-12 * 59, "unconverged pairs say so");
        }
        // Ritz values never exceed the largest eigenvalue (Cauchy interlacing)
        assertTrue(a.pairs().getFirst().value() <= 59 + 1e-9);
    }

    @Test
    void aSmallOperatorIsSolvedExactlyInNSteps() {
        double[][] a = {{2, 1, 0}, {1, 2, 1}, {0, 1, 2}}; // eigenvalues 2 + sqrt 2, 2, 2 - sqrt 2
        Lanczos.Result r = Lanczos.largest(new Dense(a), new Lanczos.Settings(3, 10, 1e-12, 1), _ -> {});
        assertTrue(r.converged());
        assertTrue(r.steps() <= 3);
        assertEquals(2 + Math.sqrt(2), r.pairs().get(0).value(), 1e-13);
        assertEquals(2, r.pairs().get(1).value(), 1e-13);
        assertEquals(2 - Math.sqrt(2), r.pairs().get(2).value(), 1e-13);
        assertThrows(IllegalArgumentException.class, () -> Lanczos.largest(new Dense(a), new Lanczos.Settings(4, 10, 1e-12, 1), _ -> {}));
        assertThrows(IllegalArgumentException.class, () -> new Lanczos.Settings(3, 2, 1e-12, 1));
    }

    private static double dotColumn(double[] v, double[][] q, int column) {
        double s = 0;
        for (int i = 0; i < v.length; i++) s += v[i] * q[i][column];
        return s;
    }
}
