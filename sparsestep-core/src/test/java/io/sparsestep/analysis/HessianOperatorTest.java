package io.sparsestep.analysis;

import io.sparsestep.backend.cpu.CpuBackend;
import io.sparsestep.data.BatchLoader;
import io.sparsestep.data.DatasetSplit;
import io.sparsestep.nn.Flatten;
import io.sparsestep.nn.Linear;
import io.sparsestep.nn.Network;
import io.sparsestep.nn.ReLU;
import io.sparsestep.nn.Sequential;
import io.sparsestep.params.ParamLayout;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Hessian operator against Hessians derived in the test, in double, from the network's
 * own weights and the loader's own inputs:
 * <ul>
 * <li>softmax regression (one Linear layer): the closed form
 *     H = (1/n) sum_i kron(diag(p_i) - p_i p_i^T, x~_i x~_i^T), x~ = [x; 1] for the bias,
 *     formed densely; Lanczos on the operator finds its top eigenvalues to 1e-3 relative,
 *     for all parameters and for the weights alone (the weight block of H);</li>
 * <li>a ReLU MLP: products with random vectors against central differences of a
 *     double-precision gradient written out in the test (forward and backward by hand),
 *     with a check that no ReLU flips inside the operator's step, which would make the
 *     comparison meaningless.</li>
 * </ul>
 */
class HessianOperatorTest {
    @Test
    void lanczosOnSoftmaxRegressionMatchesTheDenseClosedForm() {
        int[] shape = {1, 2, 4};
        int classes = 4, features = 8, count = 90, batch = 32;
        DatasetSplit split = Fixtures.split("logreg", count, shape, classes, 5);
        BatchLoader loader = Fixtures.loader(split, batch);
        try (CpuBackend be = new CpuBackend(2);
             Network net = Fixtures.network(be, new Sequential("", new Flatten("flatten"), new Linear("fc", classes)), split, batch, 3);
             DatasetGradient gradient = new DatasetGradient(net, loader)) {
            // a point away from the initialisation (nonzero bias too): a few plain gradient steps
            try (var g = net.paramSpace().allocateLike("g")) {
                for (int s = 0; s < 20; s++) {
                    gradient.meanGradient(g);
                    be.vectors().axpy(-0.5f, g.all(), net.paramSpace().values().all());
                }
            }
            ParamLayout layout = net.paramSpace().layout();
            double[] w = ParamSelection.ALL.pack(layout, net.paramSpace().values().toHost());
            int[] y = new int[count];
            double[][] x = Fixtures.inputs(loader, y);
            double[][] weight = Fixtures.tensor(w, layout, "fc.weight"), bias = Fixtures.tensor(w, layout, "fc.bias");
            int d = classes * (features + 1);
            double[][] h = new double[d][d];
            for (int i = 0; i < count; i++) {
                double[] z = new double[classes];
                for (int c = 0; c < classes; c++) {
                    z[c] = bias[0][c];
                    for (int j = 0; j < features; j++) z[c] += weight[c][j] * x[i][j];
                }
                double[] p = Fixtures.softmax(z);
                for (int c = 0; c < classes; c++) {
                    for (int c2 = 0; c2 < classes; c2++) {
                        double a = (c == c2 ? p[c] : 0) - p[c] * p[c2];
                        for (int j = 0; j <= features; j++) {
                            for (int j2 = 0; j2 <= features; j2++) {
                                double xx = (j == features ? 1 : x[i][j]) * (j2 == features ? 1 : x[i][j2]);
                                h[slot(layout, c, j, features)][slot(layout, c2, j2, features)] += a * xx / count;
                            }
                        }
                    }
                }
            }
            double[] dense = SymmetricEigen.of(h).values();
            int weights = classes * features;
            double[][] hw = new double[weights][weights];
            for (int r = 0; r < weights; r++) for (int c = 0; c < weights; c++) hw[r][c] = h[r][c];
            double[] denseWeights = SymmetricEigen.of(hw).values();
            int k = 5;
            for (ParamSelection sel : ParamSelection.values()) {
                try (HessianOperator op = new HessianOperator(net, gradient, sel, HessianOperator.DEFAULT_STEP)) {
                    assertEquals(sel == ParamSelection.ALL ? d : weights, op.dimension());
                    Lanczos.Result r = Lanczos.largest(op, new Lanczos.Settings(k, op.dimension(), 1e-6, 7), _ -> {});
                    double[] expected = sel == ParamSelection.ALL ? dense : denseWeights;
                    for (int i = 0; i < k; i++) {
                        double got = r.pairs().get(i).value();
                        assertEquals(expected[i], got, 1e-3 * Math.abs(expected[i]), sel + " eigenvalue " + i + ": " + got + " vs " + expected[i]);
                    }
                }
            }
            // the operator put the weights back
            assertEquals(0, maxAbsDiff(w, ParamSelection.ALL.pack(layout, net.paramSpace().values().toHost())));
        }
    }

    /** Packed index of weight (c, j), or of bias c for j == features. */
    private static int slot(ParamLayout layout, int c, int j, int features) {
        return j == features ? Fixtures.index(layout, "fc.bias", 0, c) : Fixtures.index(layout, "fc.weight", c, j);
    }

    @Test
    void mlpProductsMatchDifferencesOfAGradientComputedInDouble() {
        int[] shape = {1, 2, 3};
        int classes = 3, features = 6, hidden = 5, count = 40, batch = 16;
        DatasetSplit split = Fixtures.split("mlp", count, shape, classes, 8);
        BatchLoader loader = Fixtures.loader(split, batch);
        try (CpuBackend be = new CpuBackend(2);
             Network net = Fixtures.network(be, new Sequential("", new Flatten("flatten"), new Linear("fc1", hidden), new ReLU("relu"),
                new Linear("fc2", classes)), split, batch, 4);
             DatasetGradient gradient = new DatasetGradient(net, loader);
             HessianOperator op = new HessianOperator(net, gradient, ParamSelection.ALL, HessianOperator.DEFAULT_STEP)) {
            ParamLayout layout = net.paramSpace().layout();
            int[] y = new int[count];
            double[][] x = Fixtures.inputs(loader, y);
            double[] w = op.point();
            Mlp mlp = new Mlp(layout, x, y, features, hidden, classes);
            Random rng = new Random(21);
            double[][] products = new double[3][];
            double[][] vs = new double[3][];
            for (int trial = 0; trial < 3; trial++) {
                double[] v = new double[op.dimension()];
                for (int i = 0; i < v.length; i++) v[i] = rng.nextGaussian();
                vs[trial] = v;
                // no pre-activation may change sign within the operator's step, or the difference quotient spans a kink
                double eps = op.epsFor(Lanczos.norm(v));
                assertTrue(mlp.smallestMargin(w, v, eps) > 1, "a ReLU flips inside the step: margin " + mlp.smallestMargin(w, v, eps));
                double[] reference = mlp.hvp(w, v, 1e-5 / Lanczos.norm(v));
                double[] got = new double[op.dimension()];
                op.apply(v, got);
                products[trial] = got;
                double[] diff = got.clone();
                Lanczos.axpy(-1, reference, diff);
                double rel = Lanczos.norm(diff) / Lanczos.norm(reference);
                assertTrue(rel < 1e-3, "trial " + trial + ": relative error " + rel);
            }
            // symmetric to the same accuracy: u.Hv = v.Hu
            double uHv = Lanczos.dot(vs[0], products[1]), vHu = Lanczos.dot(vs[1], products[0]);
            assertEquals(uHv, vHu, 1e-3 * Lanczos.norm(vs[0]) * Lanczos.norm(products[1]));
            assertEquals(3, op.products());
        }
    }

    private static double maxAbsDiff(double[] a, double[] b) {
        double m = 0;
        for (int i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
        return m;
    }

    /** fc1 (features -> hidden) + ReLU + fc2 (hidden -> classes) + mean softmax cross-entropy, in double, on packed parameters. */
    private record Mlp(ParamLayout layout, double[][] x, int[] y, int features, int hidden, int classes) {
        double[] gradient(double[] w) {
            double[][] w1 = Fixtures.tensor(w, layout, "fc1.weight"), b1 = Fixtures.tensor(w, layout, "fc1.bias");
            double[][] w2 = Fixtures.tensor(w, layout, "fc2.weight"), b2 = Fixtures.tensor(w, layout, "fc2.bias");
            double[] g = new double[w.length];
            int n = x.length;
            for (int i = 0; i < n; i++) {
                double[] z1 = new double[hidden], h = new double[hidden];
                for (int u = 0; u < hidden; u++) {
                    z1[u] = b1[0][u];
                    for (int j = 0; j < features; j++) z1[u] += w1[u][j] * x[i][j];
                    h[u] = Math.max(z1[u], 0);
                }
                double[] z2 = new double[classes];
                for (int c = 0; c < classes; c++) {
                    z2[c] = b2[0][c];
                    for (int u = 0; u < hidden; u++) z2[c] += w2[c][u] * h[u];
                }
                double[] dz2 = Fixtures.softmax(z2);
                dz2[y[i]] -= 1;
                double[] dh = new double[hidden];
                for (int c = 0; c < classes; c++) {
                    g[Fixtures.index(layout, "fc2.bias", 0, c)] += dz2[c] / n;
                    for (int u = 0; u < hidden; u++) {
                        g[Fixtures.index(layout, "fc2.weight", c, u)] += dz2[c] * h[u] / n;
                        dh[u] += w2[c][u] * dz2[c];
                    }
                }
                for (int u = 0; u < hidden; u++) {
                    double dz1 = z1[u] > 0 ? dh[u] : 0;
                    g[Fixtures.index(layout, "fc1.bias", 0, u)] += dz1 / n;
                    for (int j = 0; j < features; j++) g[Fixtures.index(layout, "fc1.weight", u, j)] += dz1 * x[i][j] / n;
                }
            }
            return g;
        }

        /** Central difference of the double gradient with a small step: accurate to about 1e-9 here. */
        double[] hvp(double[] w, double[] v, double h) {
            double[] plus = w.clone(), minus = w.clone();
            Lanczos.axpy(h, v, plus);
            Lanczos.axpy(-h, v, minus);
            double[] gp = gradient(plus), gm = gradient(minus);
            double[] out = new double[w.length];
            for (int i = 0; i < w.length; i++) out[i] = (gp[i] - gm[i]) / (2 * h);
            return out;
        }

        /** min over samples and hidden units of |z1| / |change of z1 for a step eps along v|: above 1, no ReLU flips. */
        double smallestMargin(double[] w, double[] v, double eps) {
            double[][] w1 = Fixtures.tensor(w, layout, "fc1.weight"), b1 = Fixtures.tensor(w, layout, "fc1.bias");
            double[][] v1 = Fixtures.tensor(v, layout, "fc1.weight"), c1 = Fixtures.tensor(v, layout, "fc1.bias");
            double margin = Double.POSITIVE_INFINITY;
            for (double[] xi : x) {
                for (int u = 0; u < hidden; u++) {
                    double z = b1[0][u], dz = c1[0][u];
                    for (int j = 0; j < features; j++) {
                        z += w1[u][j] * xi[j];
                        dz += v1[u][j] * xi[j];
                    }
                    margin = Math.min(margin, Math.abs(z) / Math.abs(eps * dz));
                }
            }
            return margin;
        }
    }
}
