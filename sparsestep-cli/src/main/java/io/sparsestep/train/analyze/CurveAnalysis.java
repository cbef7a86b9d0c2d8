package io.sparsestep.train.analyze;

import io.sparsestep.analysis.BatchNormStatistics;
import io.sparsestep.analysis.BezierCurve;
import io.sparsestep.analysis.CurveTrainer;
import io.sparsestep.analysis.WeightPath;
import io.sparsestep.backend.Backend;
import io.sparsestep.data.BatchLoader;
import io.sparsestep.data.TrainTest;
import io.sparsestep.params.ParamBuffer;
import io.sparsestep.train.Evaluation;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * {@code analyze curve}: the loss and error of two runs' weights along the straight line
 * between them and along a quadratic Bezier curve whose middle point is trained first
 * ({@link CurveTrainer}), as the gRDA authors show directional pruning (ALGORITHMS.md 1.4,
 * after Garipov et al.). Each path is evaluated at {@code points} values of t, evenly from 0
 * to 1; at each, a model with batch norm has its running statistics recomputed by one pass
 * over the training images ({@link BatchNormStatistics}), then the training split (with the
 * run's training augmentation, fixed draws) and the test split are evaluated in evaluation
 * mode. Error is 1 - accuracy. Run a is t = 0, run b is t = 1.
 */
public final class CurveAnalysis {
    /**
     * @param points       values of t, >= 2 (the authors: 61)
     * @param training     the curve training (epochs, lr, momentum, seed of the t draws)
     * @param batchSize    batch of the curve training and of every pass
     * @param trainSamples the first N training images (0: all the run used)
     * @param testSamples  the first N test images (0: all)
     */
    public record Settings(int points, CurveTrainer.Settings training, int batchSize, int trainSamples, int testSamples) {
        public Settings {
            if (points < 2) throw new IllegalArgumentException("--points must be >= 2 (t = 0 and t = 1 at least), got " + points);
            if (batchSize < 1) throw new IllegalArgumentException("--batch-size must be positive, got " + batchSize);
            if (trainSamples < 0 || testSamples < 0) throw new IllegalArgumentException("--train-samples and --test-samples must be >= 0 (0 = all)");
        }
    }

    /** One point of a path: t and the mean loss and error on each split. */
    public record Point(double t, double trainLoss, double trainError, double testLoss, double testError) {}

    /** A path's points and their largest train loss and test error (the barrier, if any). */
    public record Profile(String path, List<Point> points, double maxTrainLoss, double maxTestError) {
        public Profile {
            points = List.copyOf(points);
        }

        static Profile of(String path, List<Point> points) {
            return new Profile(path, points, points.stream().mapToDouble(Point::trainLoss).max().orElseThrow(),
                    points.stream().mapToDouble(Point::testError).max().orElseThrow());
        }
    }

    /**
     * Everything {@code curve.json} holds: the runs, what was measured on what, the
     * curve's training, both profiles.
     */
    public record Report(String a, String b, String model, String dataset, String dataOptions, long parameters, double distance,
                         boolean batchNormRecomputed, int trainSamples, int testSamples, boolean trainAugmented, int batchSize,
                         CurveTrainer.Settings curveTraining, String lrSchedule, List<CurveTrainer.Epoch> trainingEpochs,
                         Profile line, Profile bezier, double seconds) {
        public Report {
            trainingEpochs = List.copyOf(trainingEpochs);
        }
    }

    static final String SCHEDULE = "Garipov et al.: the base lr for the first half of the epochs, linearly down to 1% of it at 90%, "
            + "then 1%, set once per epoch";

    private CurveAnalysis() {}

    /** Trains the curve and evaluates both paths; {@code log} gets a line per training epoch and per evaluated point. */
    public static Report run(AnalyzedRun a, AnalyzedRun b, TrainTest data, Settings s, Backend backend, PrintStream log) {
        long start = System.nanoTime();
        boolean augment = a.data().augments(data.channels());
        try (RunNetwork runs = new RunNetwork(List.of(a, b), data, s.trainSamples(), s.testSamples(), s.batchSize(), backend)) {
            ParamBuffer wa = runs.weights.get(0), wb = runs.weights.get(1);
            double distance = distance(wa, wb, backend);
            BatchLoader bnAndTrainEval = runs.trainLoader(false, augment), test = runs.testLoader();
            boolean hasBatchNorm = !BatchNormStatistics.layers(runs.net.root()).isEmpty();
            log.printf(Locale.ROOT, "%s: %,d parameters, ||b - a|| = %.4f; %,d train / %,d test images%s%n", a.weights().model(),
                    runs.net.parameterCount(), distance, runs.train.count(), runs.test.count(),
                    hasBatchNorm ? "; batch-norm statistics recomputed at every point" : "");
            try (BezierCurve curve = new BezierCurve(wa, wb);
                 Evaluation trainEval = new Evaluation(runs.net, bnAndTrainEval);
                 Evaluation testEval = new Evaluation(runs.net, test)) {
                List<CurveTrainer.Epoch> epochs = CurveTrainer.train(runs.net, curve, runs.trainLoader(true, augment), s.training(),
                        e -> log.printf(Locale.ROOT, "curve epoch %3d/%d  lr %.5f  mean train loss %.5f%n", e.epoch(), s.training().epochs(),
                                e.lr(), e.meanLoss()));
                Profile line = profile(new WeightPath.StraightLine(wa, wb), s.points(), runs, bnAndTrainEval, trainEval, testEval, log);
                Profile bezier = profile(curve, s.points(), runs, bnAndTrainEval, trainEval, testEval, log);
                return new Report(a.given().toString(), b.given().toString(), a.weights().model(), a.data().dataset(), a.data().source(),
                        runs.net.parameterCount(), distance, hasBatchNorm, runs.train.count(), runs.test.count(), augment, runs.batch(),
                        s.training(), SCHEDULE, epochs, line, bezier, (System.nanoTime() - start) / 1e9);
            }
        }
    }

    /** t_i = i / (points - 1), so t = 0 and t = 1 are exact. */
    static double t(int i, int points) { return (double) i / (points - 1); }

    private static Profile profile(WeightPath path, int points, RunNetwork runs, BatchLoader bnPass, Evaluation trainEval, Evaluation testEval,
                                   PrintStream log) {
        List<Point> out = new ArrayList<>();
        for (int i = 0; i < points; i++) {
            double t = t(i, points);
            path.pointInto(t, runs.net.paramSpace().values());
            BatchNormStatistics.recompute(runs.net, bnPass);
            Evaluation.Result train = trainEval.run(), test = testEval.run();
            Point p = new Point(t, train.loss(), 1 - train.accuracy(), test.loss(), 1 - test.accuracy());
            out.add(p);
            log.printf(Locale.ROOT, "%-13s t %.4f  train loss %.5f  train error %.4f  test loss %.5f  test error %.4f%n", path.label(), t,
                    p.trainLoss(), p.trainError(), p.testLoss(), p.testError());
        }
        return Profile.of(path.label(), out);
    }

    /** ||b - a|| over all parameters, in double. */
    private static double distance(ParamBuffer a, ParamBuffer b, Backend backend) {
        try (ParamBuffer d = a.space().allocateLike("b-a")) {
            d.copyFrom(b);
            backend.vectors().axpy(-1f, a.all(), d.all());
            return backend.vectors().norm(d.all());
        }
    }
}
