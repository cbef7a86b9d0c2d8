package io.sparsestep.cli;

import io.sparsestep.backend.Backend;
import io.sparsestep.devices.Backends;
import io.sparsestep.data.Datasets;
import io.sparsestep.data.TrainTest;
import io.sparsestep.optim.GrdaSpec;
import io.sparsestep.optim.MethodSpec;
import io.sparsestep.optim.Methods;
import io.sparsestep.store.Checkpoint;
import io.sparsestep.store.CheckpointException;
import io.sparsestep.train.RunConfig;
import io.sparsestep.train.RunSignals;
import io.sparsestep.train.TrainingRun;
import io.sparsestep.train.io.CollapsedRun;
import io.sparsestep.train.io.CommandLineText;
import io.sparsestep.train.io.FolderLock;
import io.sparsestep.train.io.OutputFolder;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "train", mixinStandardHelpOptions = true,
        description = "Train one model with one method (gRDA, SGD, GSM, GMP, DropPruning, one-shot magnitude, Campfire, L1 filter pruning or network slimming; --method); writes metrics.csv, summary.json, chart.png, "
                + "chart-layers.png, weights.safetensors and, every --checkpoint-every epochs, checkpoint.safetensors to --out.")
public final class TrainCommand implements Callable<Integer> {
    @Option(names = "--model", description = "lenet300, lenet5, vgg16, resnet20, resnet56, wrn28-K (required unless --widths names the model)")
    String model;

    @Option(names = "--method", description = "Training method: grda, sgd, gsm, gmp, droppruning, magnitude, campfire, l1-filter, slimming (default: grda); its options are listed below")
    String method;

    @Option(names = "--optimizer", description = "Same as --method (kept so existing commands work)")
    String optimizer;

    @Option(names = "--out", description = "Output directory (default: runs/<model>-<dataset>-<method>)")
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
        boolean autoC = Tune.autoC(MethodOptions.given(spec.commandLine().getParseResult()));
        RunConfig cfg = config();
        TrainingRun.check(cfg);
        OutputFolder.checkUsable(cfg.out());
        try (FolderLock _ = FolderLock.acquire(cfg.out())) {
            TrainTest data = Datasets.load(cfg.dataset(), cfg.dataDir(), cfg.seed(), cfg.trainLimit(), cfg.testLimit());
            try (Backend backend = Backends.open(cfg.device(), System.err)) {
                RunSignals.install();
                // --c auto: the tune's trials first (in <out>/tune, kept across a rerun), then the run with the c it chose
                if (autoC) cfg = Tune.resolveAuto(cfg, data, backend, System.out, commandLine(spec));
                report(cfg, TrainingRun.execute(cfg, data, backend, System.out, commandLine(spec)), data);
            }
        }
        return 0;
    }

    /** The run this command line asks for; every method option checked by the method's spec. */
    RunConfig config() {
        String id = methodId();
        Map<String, String> given = MethodOptions.given(this.spec.commandLine().getParseResult());
        // --c auto is resolved once the data is loaded; a placeholder c lets every other option be checked first
        MethodSpec spec = Methods.parse(id, Tune.autoC(given) ? Tune.placeholder(given) : given);
        String m = modelOf(model, opts.widths);
        Path dir = out != null ? out : Path.of("runs", m + "-" + opts.dataset + "-" + id);
        return config(opts, m, spec, dir);
    }

    /** {@code --model}, or the model {@code --widths} names when --model is left out. */
    static String modelOf(String model, String widths) {
        if (model != null) return model;
        if (widths == null) throw new IllegalArgumentException("--model is required (lenet300, lenet5, vgg16, resnet20, resnet56, wrn28-K), or --widths naming an architecture");
        return io.sparsestep.nn.Architecture.resolve(widths).model();
    }

    private String methodId() {
        if (method != null && optimizer != null && !method.equals(optimizer)) {
            throw new IllegalArgumentException("--method " + method + " and --optimizer " + optimizer + " disagree; --optimizer is "
                    + "another name for --method, give one");
        }
        String id = method != null ? method : optimizer != null ? optimizer : "grda";
        Methods.find(id);
        return id;
    }

    /**
     * The run a checkpoint was written by: its canonical arguments parsed by this command
     * exactly as if typed (so every rule applies again), written to {@code out}.
     */
    static RunConfig configFrom(Checkpoint checkpoint, Path out) {
        List<String> args = new ArrayList<>(List.of("train"));
        args.addAll(checkpoint.args());
        args.addAll(List.of("--out", out.toString()));
        try {
            CommandLine.ParseResult parsed = Main.commandLine().parseArgs(args.toArray(String[]::new));
            TrainCommand train = parsed.subcommand().commandSpec().commandLine().getCommand();
            return train.config();
        } catch (CommandLine.ParameterException | IllegalArgumentException e) {
            throw new CheckpointException(checkpoint.file() + ": its run configuration does not parse (" + e.getMessage()
                    + "); was it written by another sparsestep version (" + checkpoint.metadata().get("sparsestep_version") + ")?", e);
        }
    }

    /** The last lines of a finished run: its result and, for a collapsed gRDA run, what to change. */
    static void report(RunConfig cfg, TrainingRun.Result r, TrainTest data) {
        System.out.printf(Locale.ROOT, "%s: test accuracy %.4f, sparsity %.4f, %.1f s; outputs in %s%n",
                TrainingRun.label(cfg.optimizer()), r.summary().testAccuracy(), r.summary().sparsity(), r.summary().seconds(), cfg.out());
        if (r.summary().hyperparameters().get("mask") instanceof Map<?, ?> mask) {
            System.out.printf(Locale.ROOT, "  mask: %.4f of %,d conv/linear weights pruned (%,d kept)%n", ((Number) mask.get("sparsity")).doubleValue(),
                    ((Number) mask.get("prunable")).longValue(), ((Number) mask.get("kept")).longValue());
        }
        // last, so it is what the user sees; the exit code stays 0: the run itself worked
        collapseWarning(cfg, r.summary(), data.classes()).ifPresent(System.out::println);
    }

    /** The collapsed-run line for a gRDA run (CollapsedRun suggests a smaller --c), empty otherwise. */
    static java.util.Optional<String> collapseWarning(RunConfig cfg, io.sparsestep.train.io.RunSummary summary, int classes) {
        return cfg.method() instanceof GrdaSpec g ? CollapsedRun.warning(summary, classes, g.c()) : java.util.Optional.empty();
    }

    /** The whole command line as typed after {@code sparsestep}, for summary.json. */
    static String commandLine(CommandSpec spec) {
        return CommandLineText.of("sparsestep", spec.commandLine().getParseResult().originalArgs());
    }

    static RunConfig config(TrainOptions o, String model, MethodSpec method, Path out) {
        return new RunConfig(model, o.dataset, o.dataDir, method, o.epochs, o.batchSize, o.lrSchedule, o.milestones, o.gamma, o.seed,
                o.device, out, o.trainLimit, o.testLimit, !o.noProgress, o.augment, o.checkpointEvery, o.initFrom, o.widths, o.bnRecalibrate, o.lastBatch);
    }
}
