package io.sparsestep.train.analyze;

import io.sparsestep.train.io.CurveChart;
import io.sparsestep.train.io.SummaryJson;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The files and console tables of {@code analyze}: {@code curve.json} and {@code curve.png},
 * {@code hessian.json}; each written atomically (temp file, rename), the JSON last, so a
 * folder with the JSON holds a complete analysis.
 */
public final class AnalysisOutputs {
    public static final String CURVE_JSON = "curve.json";
    public static final String HESSIAN_JSON = "hessian.json";

    private AnalysisOutputs() {}

    /** curve.png (titled {@code title}), then curve.json. */
    public static void writeCurve(Path out, CurveAnalysis.Report r, String title) throws IOException {
        List<CurveChart.Series> series = new ArrayList<>();
        for (CurveAnalysis.Profile p : List.of(r.line(), r.bezier())) {
            int n = p.points().size();
            double[] t = new double[n], trainLoss = new double[n], testLoss = new double[n], trainError = new double[n], testError = new double[n];
            for (int i = 0; i < n; i++) {
                CurveAnalysis.Point q = p.points().get(i);
                t[i] = q.t();
                trainLoss[i] = q.trainLoss();
                testLoss[i] = q.testLoss();
                trainError[i] = q.trainError();
                testError[i] = q.testError();
            }
            series.add(new CurveChart.Series(p.path(), t, trainLoss, testLoss, trainError, testError));
        }
        CurveChart.write(out.resolve(CurveChart.FILE_NAME), title, series);
        SummaryJson.writeJson(out.resolve(CURVE_JSON), r);
    }

    public static void writeHessian(Path out, HessianAnalysis.Report r) throws IOException {
        SummaryJson.writeJson(out.resolve(HESSIAN_JSON), r);
    }

    /** Both paths side by side at t = 0, 0.1, ..., 1 (the points nearest those), then each path's maxima. */
    public static String curveTable(CurveAnalysis.Report r) {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "%-6s | %-40s | %-40s%n", "", "straight line", "Bezier curve (trained)"));
        sb.append(String.format(Locale.ROOT, "%-6s | %10s %9s %9s %9s | %10s %9s %9s %9s%n", "t", "train loss", "train err", "test loss",
                "test err", "train loss", "train err", "test loss", "test err"));
        int n = r.line().points().size();
        int last = -1;
        for (int tenth = 0; tenth <= 10; tenth++) {
            int i = (int) Math.round(tenth * (n - 1) / 10.0);
            if (i == last) continue;
            last = i;
            CurveAnalysis.Point l = r.line().points().get(i), c = r.bezier().points().get(i);
            sb.append(String.format(Locale.ROOT, "%-6.4f | %10.5f %9.4f %9.5f %9.4f | %10.5f %9.4f %9.5f %9.4f%n", l.t(), l.trainLoss(),
                    l.trainError(), l.testLoss(), l.testError(), c.trainLoss(), c.trainError(), c.testLoss(), c.testError()));
        }
        for (CurveAnalysis.Profile p : List.of(r.line(), r.bezier())) {
            sb.append(String.format(Locale.ROOT, "%s: largest train loss %.5f, largest test error %.4f over %d points%n", p.path(),
                    p.maxTrainLoss(), p.maxTestError(), p.points().size()));
        }
        return sb.toString();
    }

    /** The eigenvalues with each one's share of the direction, then the fraction next to k/D. */
    public static String hessianTable(HessianAnalysis.Report r) {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "%3s %14s %11s %14s%n", "i", "eigenvalue", "residual", "(v_i.d)^2/|d|^2"));
        for (HessianAnalysis.Eigen e : r.eigenpairs()) {
            sb.append(String.format(Locale.ROOT, "%3d %14.6e %11.2e %14.4e%n", e.index(), e.value(), e.residual(), e.directionShare()));
        }
        sb.append(String.format(Locale.ROOT, "d = %s - %s, ||d|| = %.4f; fraction of ||d||^2 in the top-%d eigenspace: %.4e (sqrt %.4e); "
                        + "a random direction: k/D = %d/%,d = %.4e (ratio %.2f)%n", r.directionA(), r.directionB(), r.directionNorm(), r.k(),
                r.fraction(), r.sqrtFraction(), r.k(), r.dimension(), r.randomBaseline(), r.fractionOverBaseline()));
        sb.append(String.format(Locale.ROOT, "D counts %s; Lanczos: %d steps, %s, smallest Ritz value %.4e%n", r.parameters(),
                r.lanczosSteps(), r.converged() ? "converged" : "NOT converged to --tolerance (raise --max-steps)", r.smallestRitzValue()));
        return sb.toString();
    }
}
