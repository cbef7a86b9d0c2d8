package io.sparsestep.cli;

import io.sparsestep.backend.Backend;
import io.sparsestep.backend.Backends;
import io.sparsestep.data.Datasets;
import io.sparsestep.data.TrainTest;
import io.sparsestep.train.RunConfig;
import io.sparsestep.train.TrainingRun;
import io.sparsestep.train.io.CollapsedRun;
import io.sparsestep.train.io.CommandLineText;
import io.sparsestep.train.io.FolderLock;
import io.sparsestep.train.io.OutputFolder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;

@Command(name = "train", mixinStandardHelpOptions = true,
        description = "Train one model with gRDA or SGD; writes metrics.csv, summary.json, chart.png, chart-layers.png and "
                + "weights.safetensors to --out.")
public final class TrainCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, description = "lenet300, lenet5, vgg16, resnet20, resnet56, wrn28-K")
    String model;

    @Option(names = "--optimizer", description = "grda or sgd (default: ${DEFAULT-VALUE})")
    String optimizer = "grda";

    @Option(names = "--out", description = "Output directory (default: runs/<model>-<dataset>-<optimizer>)")
    Path out;

    @Mixin
    TrainOptions opts = new TrainOptions();

    @Spec
    CommandSpec spec;

    /**
     * Cheapest checks first: every option, then the output folder and its lock (another run
     * on it stops here), then the data (seconds for CIFAR), then the backend; the folder is
     * cleared of an earlier run's files only when training is about to start. The lock is
     * held until the run ends, however it ends.
     */
    @Override
    public Integer call() {
        Path dir = out != null ? out : Path.of("runs", model + "-" + opts.dataset + "-" + optimizer);
        double lr = opts.lr != null ? opts.lr : (optimizer.equals("grda") ? Defaults.GRDA_LR : Defaults.SGD_LR);
        RunConfig cfg = config(opts, model, optimizer, lr, dir, opts.trainLimit, opts.testLimit);
        TrainingRun.check(cfg);
        OutputFolder.checkUsable(dir);
        try (FolderLock _ = FolderLock.acquire(dir)) {
            TrainTest data = Datasets.load(opts.dataset, opts.dataDir, opts.seed, opts.trainLimit, opts.testLimit);
            try (Backend backend = Backends.open(opts.device, System.err)) {
                TrainingRun.Result r = TrainingRun.execute(cfg, data, backend, System.out, commandLine(spec));
                System.out.printf(Locale.ROOT, "%s: test accuracy %.4f, sparsity %.4f, %.1f s; outputs in %s%n",
                        TrainingRun.label(optimizer), r.summary().testAccuracy(), r.summary().sparsity(), r.summary().seconds(), dir);
                // last, so it is what the user sees; the exit code stays 0: the run itself worked
                CollapsedRun.warning(r.summary(), data.classes(), cfg.c()).ifPresent(System.out::println);
            }
        }
        return 0;
    }

    /** The whole command line as typed after {@code sparsestep}, for summary.json. */
    static String commandLine(CommandSpec spec) {
        return CommandLineText.of("sparsestep", spec.commandLine().getParseResult().originalArgs());
    }

    static RunConfig config(TrainOptions o, String model, String optimizer, double lr, Path out, int trainLimit, int testLimit) {
        return new RunConfig(model, o.dataset, o.dataDir, optimizer, lr, o.momentum, o.dampening, o.nesterov, o.weightDecay,
                o.c, o.mu, o.biasNormC, o.epochs, o.batchSize, o.lrSchedule, o.milestones, o.gamma, o.seed, o.device, out,
                trainLimit, testLimit, !o.noProgress, o.augment);
    }
}
