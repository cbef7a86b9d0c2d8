package io.sparsestep.cli;

import io.sparsestep.analysis.HessianOperator;
import io.sparsestep.analysis.ParamSelection;
import io.sparsestep.devices.Backends;
import io.sparsestep.train.analyze.AnalysisOutputs;
import io.sparsestep.train.analyze.AnalyzedRun;
import io.sparsestep.train.analyze.HessianAnalysis;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

@Command(name = "hessian", mixinStandardHelpOptions = true,
        description = "The top k eigenvalues of the training loss's Hessian at run --at (Lanczos with full reorthogonalisation on "
                + "Hessian-vector products by central differences of the gradient), and the fraction of ||d||^2, d = w_A - w_B, "
                + "in the span of their eigenvectors, next to k/D, what a random direction puts there. Training mode (batch norm "
                + "on batch statistics) as the gRDA authors. Writes hessian.json to --out.")
public final class AnalyzeHessianCommand implements Callable<Integer> {
    @Option(names = "--at", required = true, paramLabel = "RUN", description = "run whose weights the Hessian is taken at (the authors: the SGD run)")
    Path at;

    @Option(names = "--direction", required = true, arity = "1..2", paramLabel = "RUN", description = "RUN_A RUN_B, or RUN_A-RUN_B when "
            + "exactly one split at a '-' names two existing runs: d = w_A - w_B (the authors: w_SGD - w_gRDA)")
    List<String> direction;

    @Option(names = "--k", description = "eigenpairs (default: ${DEFAULT-VALUE}, the authors')")
    int k = 10;

    @Option(names = "--samples", description = "use the first N of the run's training images; 0 = all (default: ${DEFAULT-VALUE})")
    int samples = 0;

    @Option(names = "--batch-size", description = "batch of the gradient passes; with batch norm it sets the batch statistics "
            + "(default: ${DEFAULT-VALUE}, the authors')")
    int batchSize = 32;

    @Option(names = "--parameters", description = "what the Hessian covers: all (weights, biases, batch norm; the authors') or "
            + "weights (conv/linear weights only) (default: ${DEFAULT-VALUE})")
    String parameters = "all";

    @Option(names = "--max-steps", description = "Lanczos step limit, one Hessian-vector product (two gradient passes) each (default: ${DEFAULT-VALUE})")
    int maxSteps = 80;

    @Option(names = "--tolerance", description = "stop when every residual ||Hv - lambda v|| is below this times the largest "
            + "|eigenvalue| (default: ${DEFAULT-VALUE})")
    double tolerance = 1e-3;

    @Option(names = "--hvp-step", description = "central-difference step: eps = step * ||w|| / ||v|| (default: ${DEFAULT-VALUE})")
    double hvpStep = HessianOperator.DEFAULT_STEP;

    @Option(names = "--seed", description = "seed of Lanczos' start vector (default: ${DEFAULT-VALUE})")
    long seed = 1;

    @Option(names = "--out", description = "Output directory (default: ${DEFAULT-VALUE})")
    Path out = Path.of("analyze-hessian");

    @Mixin
    AnalyzeData where = new AnalyzeData();

    @Override
    public Integer call() throws IOException {
        HessianAnalysis.Settings settings = new HessianAnalysis.Settings(k, maxSteps, tolerance, samples, batchSize,
                ParamSelection.parse(parameters), hvpStep, seed);
        Backends.checkDevice(where.device);
        List<Path> ab = directionRuns(direction);
        AnalyzedRun runAt = where.read("--at", at), runA = where.read("--direction", ab.get(0)), runB = where.read("--direction", ab.get(1));
        for (AnalyzedRun other : List.of(runA, runB)) runAt.mismatch(other).ifPresent(m -> { throw new IllegalArgumentException(m); });
        where.inFolder(out, runAt, (data, backend) -> {
            HessianAnalysis.Report r = HessianAnalysis.run(runAt, runA, runB, data, settings, backend, System.out);
            Files.createDirectories(out);
            AnalysisOutputs.writeHessian(out, r);
            System.out.println();
            System.out.print(AnalysisOutputs.hessianTable(r));
            System.out.println("output: " + out.resolve(AnalysisOutputs.HESSIAN_JSON));
        });
        return 0;
    }

    /**
     * The two runs of --direction: two values as given, or one value split at the one '-'
     * whose two sides both exist (a folder name may hold '-' itself, so every split is tried).
     */
    static List<Path> directionRuns(List<String> values) {
        if (values.size() == 2) return List.of(Path.of(values.get(0)), Path.of(values.get(1)));
        String v = values.getFirst();
        List<List<Path>> splits = new ArrayList<>();
        for (int i = v.indexOf('-'); i > 0; i = v.indexOf('-', i + 1)) {
            Path left = Path.of(v.substring(0, i)), right = Path.of(v.substring(i + 1));
            if (!v.substring(i + 1).isEmpty() && Files.exists(left) && Files.exists(right)) splits.add(List.of(left, right));
        }
        if (splits.size() == 1) return splits.getFirst();
        throw new IllegalArgumentException("--direction " + v + ": " + (splits.isEmpty() ? "no split at a '-' names two existing runs"
                : splits.size() + " splits at a '-' name two existing runs") + "; pass the two runs as two values: --direction RUN_A RUN_B");
    }
}
