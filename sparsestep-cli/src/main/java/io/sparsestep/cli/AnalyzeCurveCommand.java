package io.sparsestep.cli;

import io.sparsestep.analysis.CurveTrainer;
import io.sparsestep.devices.Backends;
import io.sparsestep.train.analyze.AnalysisOutputs;
import io.sparsestep.train.analyze.AnalyzedRun;
import io.sparsestep.train.analyze.CurveAnalysis;
import io.sparsestep.train.io.CurveChart;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

@Command(name = "curve", mixinStandardHelpOptions = true,
        description = "Train loss/error and test loss/error along the straight line from run A (t=0) to run B (t=1) and along a "
                + "quadratic Bezier curve (1-t)^2 a + 2t(1-t) theta + t^2 b whose middle point theta is trained first (each batch "
                + "draws t ~ U(0,1); Garipov et al.'s mode connectivity, as the gRDA authors use it). Batch-norm statistics are "
                + "recomputed at every point. Writes curve.json and curve.png to --out.")
public final class AnalyzeCurveCommand implements Callable<Integer> {
    @Option(names = "--a", required = true, paramLabel = "RUN", description = "run at t=0: a run folder, its weights.safetensors or checkpoint")
    Path a;

    @Option(names = "--b", required = true, paramLabel = "RUN", description = "run at t=1, of the same model")
    Path b;

    @Option(names = "--points", description = "values of t from 0 to 1, evenly spaced (default: ${DEFAULT-VALUE}, the authors')")
    int points = 61;

    @Option(names = "--epochs", description = "epochs of curve training (default: ${DEFAULT-VALUE}; the authors ran 300 for VGG16, 200 for WRN-28-10)")
    int epochs = 20;

    @Option(names = "--lr", description = "base learning rate of the curve training, under Garipov's schedule (default: ${DEFAULT-VALUE}, the authors')")
    double lr = 0.1;

    @Option(names = "--momentum", description = "SGD momentum of the curve training (default: ${DEFAULT-VALUE}; the authors: 0.9 for VGG16, 0 for WRN-28-10)")
    double momentum = 0.9;

    @Option(names = "--batch-size", description = "batch of the curve training and of the evaluation passes (default: ${DEFAULT-VALUE}, the authors')")
    int batchSize = 128;

    @Option(names = "--seed", description = "seed of the t draws of the curve training (default: ${DEFAULT-VALUE})")
    long seed = 1;

    @Option(names = "--train-samples", description = "use the first N of the run's training images, for the curve training and the "
            + "evaluations; 0 = all (default: ${DEFAULT-VALUE})")
    int trainSamples = 0;

    @Option(names = "--test-samples", description = "evaluate the first N test images; 0 = all (default: ${DEFAULT-VALUE})")
    int testSamples = 0;

    @Option(names = "--out", description = "Output directory (default: ${DEFAULT-VALUE})")
    Path out = Path.of("analyze-curve");

    @Mixin
    AnalyzeData where = new AnalyzeData();

    /** Settings, then both runs (one model), then the folder and its lock, then data, backend, work, outputs. */
    @Override
    public Integer call() throws IOException {
        CurveAnalysis.Settings settings = new CurveAnalysis.Settings(points, new CurveTrainer.Settings(epochs, lr, momentum, seed), batchSize,
                trainSamples, testSamples);
        Backends.checkDevice(where.device);
        AnalyzedRun runA = where.read("--a", a), runB = where.read("--b", b);
        runA.mismatch(runB).ifPresent(m -> { throw new IllegalArgumentException(m); });
        where.inFolder(out, runA, (data, backend) -> {
            CurveAnalysis.Report r = CurveAnalysis.run(runA, runB, data, settings, backend, System.out);
            Files.createDirectories(out);
            AnalysisOutputs.writeCurve(out, r, r.model() + ": " + runA.label() + " (t=0) to " + runB.label() + " (t=1)");
            System.out.println();
            System.out.print(AnalysisOutputs.curveTable(r));
            System.out.println("outputs: " + out.resolve(AnalysisOutputs.CURVE_JSON) + ", " + out.resolve(CurveChart.FILE_NAME));
        });
        return 0;
    }
}
