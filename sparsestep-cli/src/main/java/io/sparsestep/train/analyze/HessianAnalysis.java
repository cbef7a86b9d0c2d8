package io.sparsestep.train.analyze;

import io.sparsestep.analysis.DatasetGradient;
import io.sparsestep.analysis.HessianOperator;
import io.sparsestep.analysis.Lanczos;
import io.sparsestep.analysis.ParamSelection;
import io.sparsestep.backend.Backend;
import io.sparsestep.data.TrainTest;
import io.sparsestep.params.ParamLayout;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * {@code analyze hessian}: the top k eigenpairs of the training loss's Hessian at one run's
 * weights (Lanczos on Hessian-vector products, {@link HessianOperator}) and how much of the
 * direction d = w_A - w_B between two runs lies in their span, as the gRDA authors measure
 * directional pruning (ALGORITHMS.md 1.5): the fraction {@code sum_i (v_i . d)^2 / ||d||^2},
 * reported with its square root and with k/D, the expected fraction of a uniformly random
 * direction in D dimensions (not a bound the fraction must stay under: the authors' is 4-17
 * times above it). As theirs, the loss is the training cross-entropy in training mode (batch
 * norm on batch statistics) over the training images with the run's training augmentation
 * (here with fixed draws, so the operator is one matrix), in batches of 32 by default.
 */
public final class HessianAnalysis {
    /**
     * @param k          eigenpairs (the authors: 10)
     * @param maxSteps   Lanczos step limit (one Hessian-vector product each)
     * @param tolerance  residual bound relative to the largest |eigenvalue|
     * @param samples    the first N training images (0: all the run used)
     * @param batchSize  batch of the gradient passes (the authors: 32)
     * @param selection  the parameters the Hessian covers
     * @param hvpStep    the relative step of the central differences
     * @param seed       Lanczos' start vector
     */
    public record Settings(int k, int maxSteps, double tolerance, int samples, int batchSize, ParamSelection selection, double hvpStep,
                           long seed) {
        public Settings {
            if (k < 1) throw new IllegalArgumentException("--k must be >= 1, got " + k);
            if (maxSteps < k) throw new IllegalArgumentException("--max-steps " + maxSteps + " is below --k " + k + "; Lanczos needs k steps at least");
            if (!(tolerance > 0 && tolerance < 1)) throw new IllegalArgumentException("--tolerance must be in (0, 1), got " + tolerance);
            if (samples < 0) throw new IllegalArgumentException("--samples must be >= 0 (0 = all), got " + samples);
            if (batchSize < 1) throw new IllegalArgumentException("--batch-size must be positive, got " + batchSize);
            if (!(hvpStep > 0 && hvpStep < 1)) throw new IllegalArgumentException("--hvp-step must be in (0, 1), got " + hvpStep);
        }
    }

    /** Eigenpair i: its value, residual ||H v - value v||, and the share (v . d)^2 / ||d||^2 of the direction along it. */
    public record Eigen(int index, double value, double residual, double directionShare) {}

    /** Everything {@code hessian.json} holds. */
    public record Report(String at, String directionA, String directionB, String model, String dataset, String dataOptions,
                         String parameters, long dimension, int k, List<Eigen> eigenpairs, double fraction, double sqrtFraction,
                         double randomBaseline, double fractionOverBaseline, double directionNorm, double weightNorm, double trainLoss,
                         long samples, int batchSize, String mode, double hvpStep, int lanczosSteps, boolean converged,
                         double smallestRitzValue, long hessianVectorProducts, double seconds) {
        public Report {
            eigenpairs = List.copyOf(eigenpairs);
        }
    }

    static final String MODE = "training mode (batch norm on batch statistics), as the authors; training augmentation with fixed draws";

    private HessianAnalysis() {}

    /** Computes the report; {@code log} gets a line per Lanczos step. */
    public static Report run(AnalyzedRun at, AnalyzedRun a, AnalyzedRun b, TrainTest data, Settings s, Backend backend, PrintStream log) {
        long start = System.nanoTime();
        boolean augment = at.data().augments(data.channels());
        try (RunNetwork runs = new RunNetwork(List.of(a, b, at), data, s.samples(), 1, s.batchSize(), backend)) {
            ParamLayout layout = runs.net.paramSpace().layout();
            double[] d = s.selection().pack(layout, runs.weights.get(0).toHost());
            double[] wb = s.selection().pack(layout, runs.weights.get(1).toHost());
            for (int i = 0; i < d.length; i++) d[i] -= wb[i];
            double dNorm2 = Lanczos.norm(d) * Lanczos.norm(d);
            if (dNorm2 == 0) {
                throw new IllegalArgumentException("--direction " + a.given() + " " + b.given() + ": the two runs hold the same "
                        + s.selection().option() + " parameters, so the direction is 0; pass two different runs");
            }
            // the network holds --at's weights (loaded last)
            try (DatasetGradient gradient = new DatasetGradient(runs.net, runs.trainLoader(false, augment));
                 HessianOperator op = new HessianOperator(runs.net, gradient, s.selection(), s.hvpStep())) {
                int dim = op.dimension();
                if (s.k() > dim) throw new IllegalArgumentException("--k " + s.k() + " exceeds the " + dim + " parameters the Hessian covers");
                double loss;
                try (var g = runs.net.paramSpace().allocateLike("gradient")) {
                    loss = gradient.meanGradient(g).loss();
                }
                log.printf(Locale.ROOT, "Hessian of the training loss (%.5f) at %s: D = %,d (%s), %,d training images in batches of %d; "
                        + "top %d eigenpairs by Lanczos%n", loss, at.given(), dim, s.selection().description(), gradient.samples(), runs.batch(), s.k());
                Lanczos.Result r = Lanczos.largest(op, new Lanczos.Settings(s.k(), s.maxSteps(), s.tolerance(), s.seed()),
                        step -> log.printf(Locale.ROOT, "  Lanczos step %d (%d Hessian-vector products, %.0f s)%n", step, op.products(),
                                (System.nanoTime() - start) / 1e9));
                List<Eigen> eigen = new ArrayList<>();
                double fraction = 0;
                for (int i = 0; i < r.pairs().size(); i++) {
                    Lanczos.Eigenpair p = r.pairs().get(i);
                    double along = Lanczos.dot(p.vector(), d);
                    double share = along * along / dNorm2;
                    fraction += share;
                    eigen.add(new Eigen(i + 1, p.value(), p.residual(), share));
                }
                double baseline = (double) s.k() / dim;
                return new Report(at.given().toString(), a.given().toString(), b.given().toString(), at.weights().model(), at.data().dataset(),
                        at.data().source(), s.selection().description(), dim, s.k(), eigen, fraction, Math.sqrt(fraction), baseline,
                        fraction / baseline, Math.sqrt(dNorm2), Lanczos.norm(op.point()), loss, gradient.samples(), runs.batch(), MODE,
                        s.hvpStep(), r.steps(), r.converged(), r.smallestRitzValue(), op.products(), (System.nanoTime() - start) / 1e9);
            }
        }
    }
}
