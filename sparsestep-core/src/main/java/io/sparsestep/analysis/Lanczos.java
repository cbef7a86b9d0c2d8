package io.sparsestep.analysis;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.IntConsumer;

/**
 * The k algebraically largest eigenpairs of a symmetric operator by the Lanczos method with
 * full reorthogonalisation, all in double: the Krylov basis q_0, q_1, ... (each new vector
 * orthogonalised against every earlier one, twice, which keeps the basis orthonormal to
 * rounding so no spurious copies of converged eigenvalues appear), the tridiagonal matrix T
 * of alphas and betas, and its eigenpairs ({@link SymmetricEigen}) as Ritz pairs.
 *
 * <p>The start vector is drawn from {@code seed} (standard normal entries, normalised), so a
 * run is a pure function of the operator and the settings. After every step from the k-th
 * on, Ritz pair i has the residual ||A y_i - theta_i y_i|| = beta_j |s_i[j]| (s_i the
 * eigenvector of T, j the last step), exact in exact arithmetic; the run stops when all k
 * residuals are at most {@code tolerance} times the largest |Ritz value|, when
 * {@code maxSteps} is reached (then {@link Result#converged()} is false), or when beta is 0
 * (the Krylov space is invariant: its Ritz pairs are exact eigenpairs).
 *
 * <p>"Largest" is algebraic, as the gRDA authors keep the 10 algebraically largest of
 * ARPACK's pairs (ALGORITHMS.md 1.5). The basis costs {@code steps x n} doubles: 200 steps
 * of a 266,610-parameter Hessian (LeNet-300-100) are 427 MB.
 */
public final class Lanczos {
    /**
     * @param k         eigenpairs wanted, 1..n
     * @param maxSteps  at most this many operator applications (one per step), k..n
     * @param tolerance residual bound relative to the largest |Ritz value|, > 0
     * @param seed      the start vector's seed
     */
    public record Settings(int k, int maxSteps, double tolerance, long seed) {
        public Settings {
            if (k < 1) throw new IllegalArgumentException("k must be >= 1, got " + k);
            if (maxSteps < k) throw new IllegalArgumentException("the step limit " + maxSteps + " is below k = " + k);
            if (!(tolerance > 0)) throw new IllegalArgumentException("the tolerance must be > 0, got " + tolerance);
        }
    }

    /** A Ritz pair: the value, the unit vector (length n) and its residual norm ||A y - value y||. */
    public record Eigenpair(double value, double[] vector, double residual) {}

    /**
     * The k largest Ritz pairs in decreasing order of value, the steps taken, whether every
     * residual met the tolerance, and the smallest Ritz value (negative when the operator
     * is not positive semi-definite, which a Hessian away from a minimum is not).
     */
    public record Result(List<Eigenpair> pairs, int steps, boolean converged, double smallestRitzValue) {
        public Result {
            pairs = List.copyOf(pairs);
        }
    }

    private Lanczos() {}

    /** Runs Lanczos on {@code op}; {@code afterStep} is told each step's number (1-based) for progress. */
    public static Result largest(SymmetricOperator op, Settings settings, IntConsumer afterStep) {
        int n = op.dimension();
        if (settings.k() > n) throw new IllegalArgumentException("k = " + settings.k() + " exceeds the dimension " + n);
        int maxSteps = Math.min(settings.maxSteps(), n);
        List<double[]> basis = new ArrayList<>();
        double[] alpha = new double[maxSteps], beta = new double[maxSteps];
        double[] q = startVector(n, settings.seed());
        double[] w = new double[n];
        SymmetricEigen.Decomposition ritz = null;
        int steps = 0;
        boolean converged = false;
        double scale = 0; // the largest |alpha| or beta so far: the operator's scale, for the invariance test
        while (steps < maxSteps) {
            basis.add(q);
            op.apply(q, w);
            int j = steps++;
            alpha[j] = dot(q, w);
            // full reorthogonalisation, twice ("twice is enough", Parlett): this also removes
            // the alpha_j q_j and beta_{j-1} q_{j-1} terms of the three-term recurrence
            for (int pass = 0; pass < 2; pass++) {
                for (double[] b : basis) axpy(-dot(b, w), b, w);
            }
            beta[j] = norm(w);
            scale = Math.max(scale, Math.max(Math.abs(alpha[j]), beta[j]));
            afterStep.accept(steps);
            // an invariant subspace (beta 0 to rounding): the Ritz pairs are exact
            boolean invariant = beta[j] <= 1e-14 * Math.max(scale, Double.MIN_NORMAL);
            if (steps < settings.k() && !invariant && steps < maxSteps) {
                q = next(w, beta[j]);
                continue;
            }
            ritz = SymmetricEigen.of(tridiagonal(alpha, beta, steps));
            if (steps >= settings.k() && (invariant || residualsMet(ritz, beta[j], settings))) {
                converged = true;
                break;
            }
            if (invariant) break;
            q = next(w, beta[j]);
        }
        int k = Math.min(settings.k(), steps);
        List<Eigenpair> pairs = new ArrayList<>();
        for (int i = 0; i < k; i++) {
            double[] s = ritz.vectors()[i];
            double[] y = new double[n];
            for (int b = 0; b < steps; b++) axpy(s[b], basis.get(b), y);
            pairs.add(new Eigenpair(ritz.values()[i], y, beta[steps - 1] * Math.abs(s[steps - 1])));
        }
        return new Result(pairs, steps, converged, ritz.values()[steps - 1]);
    }

    private static double[] next(double[] w, double beta) {
        double[] q = new double[w.length];
        for (int i = 0; i < w.length; i++) q[i] = w[i] / beta;
        return q;
    }

    private static boolean residualsMet(SymmetricEigen.Decomposition ritz, double lastBeta, Settings settings) {
        double scale = Math.abs(ritz.values()[0]);
        for (double v : ritz.values()) scale = Math.max(scale, Math.abs(v));
        int last = ritz.values().length - 1;
        for (int i = 0; i < settings.k(); i++) {
            if (lastBeta * Math.abs(ritz.vectors()[i][last]) > settings.tolerance() * scale) return false;
        }
        return true;
    }

    /** T of the first m steps: alphas on the diagonal, betas beside it. */
    private static double[][] tridiagonal(double[] alpha, double[] beta, int m) {
        double[][] t = new double[m][m];
        for (int i = 0; i < m; i++) {
            t[i][i] = alpha[i];
            if (i + 1 < m) {
                t[i][i + 1] = beta[i];
                t[i + 1][i] = beta[i];
            }
        }
        return t;
    }

    /** Standard normal entries (from {@code seed}), normalised. */
    static double[] startVector(int n, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        double[] q = new double[n];
        for (int i = 0; i < n; i++) q[i] = gaussian(rng);
        double norm = norm(q);
        for (int i = 0; i < n; i++) q[i] /= norm;
        return q;
    }

    /** Box-Muller: SplittableRandom has no nextGaussian of its own that is specified across JDKs. */
    private static double gaussian(SplittableRandom rng) {
        double u = 1 - rng.nextDouble(); // (0, 1]: log(u) is finite
        return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng.nextDouble());
    }

    /** x . y, summed in index order. */
    public static double dot(double[] x, double[] y) {
        double s = 0;
        for (int i = 0; i < x.length; i++) s += x[i] * y[i];
        return s;
    }

    /** ||x||, Euclidean. */
    public static double norm(double[] x) { return Math.sqrt(dot(x, x)); }

    /** y += a x. */
    static void axpy(double a, double[] x, double[] y) {
        for (int i = 0; i < x.length; i++) y[i] += a * x[i];
    }
}
