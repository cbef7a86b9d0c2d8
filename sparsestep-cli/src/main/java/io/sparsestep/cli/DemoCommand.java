package io.sparsestep.cli;

import io.sparsestep.backend.Backend;
import io.sparsestep.devices.Backends;
import io.sparsestep.data.Datasets;
import io.sparsestep.data.TrainTest;
import io.sparsestep.optim.GrdaSpec;
import io.sparsestep.optim.HyperparameterException;
import io.sparsestep.optim.MethodSpec;
import io.sparsestep.optim.Methods;
import io.sparsestep.optim.Sgd;
import io.sparsestep.optim.SgdSpec;
import io.sparsestep.train.RunConfig;
import io.sparsestep.train.RunSignals;
import io.sparsestep.train.TrainingRun;
import io.sparsestep.store.EpochRow;
import io.sparsestep.train.io.FolderLock;
import io.sparsestep.train.io.OutputFolder;
import io.sparsestep.train.io.ProgressChart;
import io.sparsestep.train.io.RunSummary;
import io.sparsestep.train.io.SummaryJson;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "One model (by default LeNet-300-100 on synth-digits) trained twice from the same weights and data order, "
                + "with gRDA and with SGD; prints a side-by-side table and writes both runs under --out. "
                + "Here --lr is gRDA's learning rate only (default: gRDA's own); SGD's is --sgd-lr.")
public final class DemoCommand implements Callable<Integer> {
    @Option(names = "--out", description = "Output directory (default: ${DEFAULT-VALUE})")
    Path out = Path.of("runs", "demo");

    @Option(names = "--model", description = "Model: lenet300, lenet5, vgg16, resnet20, resnet56 or wrn28-K (default: ${DEFAULT-VALUE})")
    String model = "lenet300";

    @Option(names = "--sgd-lr", description = "SGD learning rate (default: ${DEFAULT-VALUE})")
    double sgdLr = Defaults.SGD_LR;

    @Mixin
    TrainOptions opts = new TrainOptions();

    @Spec
    CommandSpec spec;

    /**
     * In the order of {@code train}: options, output folders and their locks (the top folder,
     * then each run's, so neither another demo nor a train run can write into them
     * meanwhile), data, backend; old outputs go just before training.
     */
    @Override
    public Integer call() throws java.io.IOException {
        HyperparameterException.underName("--sgd-lr", () -> Sgd.builder().lr(sgdLr));
        // each method takes its own options; --lr is gRDA's here, SGD's is --sgd-lr
        Map<String, String> given = MethodOptions.given(spec.commandLine().getParseResult());
        MethodSpec grdaSpec = Methods.parse(GrdaSpec.METHOD.id(), MethodOptions.forMethod(given, GrdaSpec.METHOD));
        Map<String, String> sgdGiven = MethodOptions.forMethod(given, SgdSpec.METHOD);
        sgdGiven.put("--lr", Double.toString(sgdLr));
        MethodSpec sgdSpec = Methods.parse(SgdSpec.METHOD.id(), sgdGiven);
        RunConfig grda = TrainCommand.config(opts, model, grdaSpec, out.resolve("grda"));
        RunConfig sgd = grda.withMethod(sgdSpec, out.resolve("sgd"));
        TrainingRun.check(grda);
        TrainingRun.check(sgd);
        for (Path dir : List.of(out, grda.out(), sgd.out())) OutputFolder.checkUsable(dir);
        try (FolderLock _ = FolderLock.acquire(out);
             FolderLock _ = FolderLock.acquire(grda.out());
             FolderLock _ = FolderLock.acquire(sgd.out())) {
            return run(grda, sgd);
        }
    }

    private int run(RunConfig grda, RunConfig sgd) throws java.io.IOException {
        int trainN = opts.trainLimit, testN = opts.testLimit;
        TrainTest data = Datasets.load(opts.dataset, opts.dataDir, opts.seed, trainN, testN);
        grda = TrainingRun.fitBatchToData(grda, data, System.out);
        sgd = sgd.withBatchSize(grda.batchSize());
        System.out.printf(Locale.ROOT, "demo: %s on %s (%d train / %d test images), gRDA vs SGD, same initial weights and data order%n",
                model, opts.dataset, data.train().count(), data.test().count());
        List<TrainingRun.Result> results = new ArrayList<>();
        try (Backend backend = Backends.open(opts.device, System.err)) {
            // all of the earlier demo goes before the first run, so a failed second run
            // cannot leave the earlier demo's SGD files, summary and chart next to the new
            // gRDA run. At the top level the demo writes only summary.json and chart.png, so
            // only those are its to remove (a train run's files there are not).
            OutputFolder.clearPrevious(out, List.of("summary.json", "chart.png"));
            OutputFolder.clearPrevious(grda.out(), TrainingRun.OUTPUT_FILES);
            OutputFolder.clearPrevious(sgd.out(), TrainingRun.OUTPUT_FILES);
            String commandLine = TrainCommand.commandLine(spec);
            RunSignals.install();
            results.add(TrainingRun.execute(grda, data, backend, System.out, commandLine));
            results.add(TrainingRun.execute(sgd, data, backend, System.out, commandLine));
        }
        List<RunSummary> summaries = results.stream().map(TrainingRun.Result::summary).toList();
        Map<String, List<EpochRow>> curves = new LinkedHashMap<>();
        for (TrainingRun.Result r : results) curves.put(TrainingRun.label(r.summary().optimizer()), r.epochs());
        ProgressChart.write(out.resolve("chart.png"), model + " on " + opts.dataset + ": gRDA vs SGD", curves);
        // last, as in each run: a summary means every other output was written
        SummaryJson.write(out.resolve("summary.json"), summaries);
        printTable(System.out, summaries);
        System.out.println("outputs: " + out.resolve("summary.json") + ", " + out.resolve("chart.png") + ", and per run "
                + out.resolve("grda") + ", " + out.resolve("sgd"));
        TrainCommand.collapseWarning(grda, summaries.getFirst(), data.classes()).ifPresent(System.out::println);
        return 0;
    }

    static void printTable(PrintStream o, List<RunSummary> runs) {
        o.println();
        o.printf(Locale.ROOT, "%-10s %14s %10s %12s %10s%n", "optimizer", "test accuracy", "sparsity", "kept", "seconds");
        for (RunSummary r : runs) {
            o.printf(Locale.ROOT, "%-10s %14.4f %10.4f %12s %10.1f%n", TrainingRun.label(r.optimizer()), r.testAccuracy(),
                    r.sparsity(), String.format(Locale.ROOT, "%.1f%%", 100 * (1 - r.sparsity())), r.seconds());
        }
        if (runs.size() == 2) {
            o.printf(Locale.ROOT, "gRDA - SGD test accuracy: %+.2f points; gRDA zeros %.1f%% of prunable weights%n",
                    100 * (runs.get(0).testAccuracy() - runs.get(1).testAccuracy()), 100 * runs.get(0).sparsity());
        }
    }
}
