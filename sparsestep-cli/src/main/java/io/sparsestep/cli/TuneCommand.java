package io.sparsestep.cli;

import io.sparsestep.backend.Backend;
import io.sparsestep.data.Datasets;
import io.sparsestep.data.TrainTest;
import io.sparsestep.devices.Backends;
import io.sparsestep.optim.MethodSpec;
import io.sparsestep.optim.Methods;
import io.sparsestep.train.RunConfig;
import io.sparsestep.train.RunSignals;
import io.sparsestep.train.TrainingRun;
import io.sparsestep.train.io.FolderLock;
import io.sparsestep.train.io.OutputFolder;
import io.sparsestep.train.tune.CSearch;
import io.sparsestep.train.tune.Tuning;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "tune", mixinStandardHelpOptions = true,
        description = "Find the largest gRDA (or sDprun) c that keeps SGD's accuracy, the authors' recipe: for the given --mu, try c = --c-start, "
                + "x--factor, ... for --epochs each, on a validation split carved from the training data (never the test split), until the "
                + "accuracy falls more than --tolerance points below SGD's (no momentum, same lr, same init and data order), then bisect. "
                + "Writes tune.md, tune.png and tune.json to --out, each trial to --out/c-<c>/ (the reference to --out/sgd/); run again "
                + "after a kill, it keeps finished trials. `train --c auto` runs the same search first.")
public final class TuneCommand implements Callable<Integer> {
    @Option(names = "--model", description = "lenet300, lenet5, vgg16, resnet20, resnet56, wrn28-K (required unless --widths names the model)")
    String model;

    @Option(names = "--method", description = "The method whose --c to tune: grda or sdprun (default: ${DEFAULT-VALUE})")
    String method = "grda";

    @Option(names = "--out", description = "Output directory (default: runs/<model>-<dataset>-tune-<method>)")
    Path out;

    @Option(names = "--validation", description = "Share of the training images held out for validation, in (0, 0.5] (default: ${DEFAULT-VALUE})")
    double validation = Tune.VALIDATION;

    @Option(names = "--tolerance", description = "Accuracy points a c may lose against SGD and still pass (default: ${DEFAULT-VALUE})")
    double tolerance = CSearch.DEFAULT.tolerancePoints();

    @Option(names = "--c-start", description = "First c tried (default: ${DEFAULT-VALUE})")
    double cStart = CSearch.DEFAULT.start();

    @Option(names = "--factor", description = "Each next c is the last times this, > 1 (default: ${DEFAULT-VALUE})")
    double factor = CSearch.DEFAULT.factor();

    @Option(names = "--max-trials", description = "At most this many c on the geometric grid (default: ${DEFAULT-VALUE})")
    int maxTrials = CSearch.DEFAULT.maxTrials();

    @Option(names = "--refine", description = "Bisections (on the log scale) between the last c that passed and the first that failed (default: ${DEFAULT-VALUE})")
    int refine = CSearch.DEFAULT.refine();

    @Mixin
    TrainOptions opts = Tune.trialOptions();

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        CSearch search = new CSearch(cStart, factor, maxTrials, refine, tolerance);
        Map<String, String> given = new LinkedHashMap<>(MethodOptions.given(spec.commandLine().getParseResult()));
        if (given.containsKey("--c")) {
            throw new IllegalArgumentException("tune searches --c; leave it out (the search starts at --c-start " + CSearch.text(cStart) + ")");
        }
        Methods.find(method);
        MethodSpec methodSpec = Methods.parse(method, given);
        String m = TrainCommand.modelOf(model, opts.widths);
        Path dir = out != null ? out : Path.of("runs", m + "-" + opts.dataset + "-tune-" + method);
        RunConfig base = TrainCommand.config(opts, m, methodSpec, dir);
        Tuning.Request request = new Tuning.Request(base, validation, search);
        TrainingRun.check(base);
        OutputFolder.checkUsable(dir);
        try (FolderLock _ = FolderLock.acquire(dir)) {
            Tuning.claimFolder(request);
            TrainTest data = Datasets.load(base.dataset(), base.dataDir(), base.seed(), base.trainLimit(), base.testLimit());
            try (Backend backend = Backends.open(base.device(), System.err)) {
                RunSignals.install();
                Tuning.Outcome outcome = Tuning.run(request, data, backend, System.out, TrainCommand.commandLine(spec));
                outcome.chosenC(); // none chosen: the one-line reason, exit 2
            }
        }
        return 0;
    }
}
