package io.sparsestep.train;

import io.sparsestep.store.RunPosition;
import io.sparsestep.store.NetworkTensors;
import io.sparsestep.store.Checkpoint;

import io.sparsestep.analysis.BatchNormStatistics;
import io.sparsestep.backend.Backend;
import io.sparsestep.devices.Backends;
import io.sparsestep.data.Augmentation;
import io.sparsestep.data.BatchLoader;
import io.sparsestep.data.Datasets;
import io.sparsestep.data.Normalization;
import io.sparsestep.data.TrainTest;
import io.sparsestep.nn.Architecture;
import io.sparsestep.nn.Layer;
import io.sparsestep.nn.Models;
import io.sparsestep.nn.Network;
import io.sparsestep.optim.Optimizer;
import io.sparsestep.optim.TrainingPlan;
import io.sparsestep.store.DiskFullException;
import io.sparsestep.store.EpochRow;
import io.sparsestep.store.FloatTensorData;
import io.sparsestep.train.io.LayerSparsityChart;
import io.sparsestep.train.io.MetricsCsv;
import io.sparsestep.train.io.OutputFolder;
import io.sparsestep.train.io.ProgressChart;
import io.sparsestep.train.io.RunSummary;
import io.sparsestep.store.Safetensors;
import io.sparsestep.train.io.SparsestepVersion;
import io.sparsestep.train.io.SummaryJson;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * One complete run: network and optimizer from a {@link RunConfig}, the training loop, and
 * the outputs in {@code out}: metrics.csv, chart.png and chart-layers.png rewritten after
 * every epoch, weights.safetensors and then summary.json at the end (the summary last,
 * once every other output exists), each written to a temporary file and renamed. An
 * earlier run's files of these names are removed when the run starts.
 */
public final class TrainingRun {
    public record Result(RunSummary summary, List<EpochRow> epochs) {}

    /** The files a run writes into its folder. */
    public static final List<String> OUTPUT_FILES = List.of("metrics.csv", "chart.png", LayerSparsityChart.FILE_NAME,
            "summary.json", "weights.safetensors", Checkpoint.FILE_NAME);

    private TrainingRun() {}

    /**
     * Checks every setting of {@code cfg} by the rules of the code that will use it (model
     * zoo, dataset names, device names, optimizer builders, lr schedule) without loading data,
     * creating folders or opening a backend, so that a mistake costs nothing. Throws an
     * IllegalArgumentException whose one-line message names the command-line option.
     */
    public static void check(RunConfig cfg) {
        Models.requireKnown(cfg.model());
        cfg.architecture();
        Datasets.requireKnown(cfg.dataset());
        if (cfg.dataDir() != null && Datasets.isSynthetic(cfg.dataset())) {
            // the default dataset is synthetic: "--data-dir ~/mnist" without --dataset would
            // otherwise train on generated digits without a word
            throw new IllegalArgumentException("--data-dir " + cfg.dataDir() + " is not used by --dataset " + cfg.dataset()
                    + " (generated, no files); drop --data-dir, or pick the dataset it holds with --dataset mnist, cifar10 or cifar100");
        }
        Backends.checkDevice(cfg.device());
        if (cfg.augment() != null) Augmentation.parse(cfg.augment());
        ScheduleSetup.check(cfg);
        cfg.bnRecalibration();
        FixedMasks.check(cfg);
    }

    /**
     * {@code cfg} with its batch size cut to the larger split when it exceeds both: a larger
     * batch would only allocate memory that no batch fills. Says so on {@code log} (one line).
     * The run is then exactly the run of the smaller batch size.
     */
    public static RunConfig fitBatchToData(RunConfig cfg, TrainTest data, PrintStream log) {
        int largest = Math.max(data.train().count(), data.test().count());
        if (cfg.batchSize() <= largest) return cfg;
        log.printf(Locale.ROOT, "--batch-size %d is larger than the data (%d train / %d test images); using %d%n",
                cfg.batchSize(), data.train().count(), data.test().count(), largest);
        return cfg.withBatchSize(largest);
    }

    /**
     * Checks {@code requested}, fits its batch to the data, clears the folder of an earlier
     * run's outputs and trains from the start (or from {@code --init-from}'s weights).
     * {@code commandLine} is recorded in summary.json as the command that started the run.
     */
    public static Result execute(RunConfig requested, TrainTest data, Backend backend, PrintStream log, String commandLine) {
        return execute(requested, data, backend, log, commandLine, RunHooks.NONE);
    }

    /** {@link #execute} with a caller's start step and listeners. */
    public static Result execute(RunConfig requested, TrainTest data, Backend backend, PrintStream log, String commandLine, RunHooks hooks) {
        check(requested);
        RunConfig cfg = fitBatchToData(requested, data, log);
        OutputFolder.clearPrevious(cfg.out(), OUTPUT_FILES);
        return train(requested, cfg, data, backend, log, commandLine, null, hooks);
    }

    /**
     * Continues the run of {@code checkpoint} (whose configuration {@code requested} was
     * rebuilt from) to its configured epoch count: weights, running statistics, optimizer
     * state, schedule position and the metrics rows come from the checkpoint, so on the CPU
     * the result is bitwise the uninterrupted run's. Nothing is cleared first.
     */
    public static Result resume(RunConfig requested, Checkpoint checkpoint, TrainTest data, Backend backend, PrintStream log,
                                String commandLine) {
        return resume(requested, checkpoint, data, backend, log, commandLine, RunHooks.NONE);
    }

    /** {@link #resume} with a caller's listeners (its start step is not called: the checkpoint holds the state). */
    public static Result resume(RunConfig requested, Checkpoint checkpoint, TrainTest data, Backend backend, PrintStream log,
                                String commandLine, RunHooks hooks) {
        check(requested);
        RunConfig cfg = fitBatchToData(requested, data, log);
        // a run killed inside an atomic write left its temp file; the checkpoint itself is whole
        OutputFolder.clearTornWrites(cfg.out(), OUTPUT_FILES);
        log.printf(Locale.ROOT, "resuming %s after epoch %d of %d (global step %d) from %s%n", cfg.out(), checkpoint.epochsDone(),
                cfg.epochs(), checkpoint.globalStep(), checkpoint.file());
        return train(requested, cfg, data, backend, log, commandLine, checkpoint, hooks);
    }

    private static Result train(RunConfig requested, RunConfig cfg, TrainTest data, Backend backend, PrintStream log, String commandLine,
                                Checkpoint from, RunHooks hooks) {
        int[] inputShape = {data.channels(), data.height(), data.width()};
        Architecture arch = cfg.architecture();
        Layer root = Models.create(arch, inputShape, data.classes());
        Augmentation augment = Augmentation.resolve(cfg.augment(), data.channels());
        String startedAt = Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
        long start = System.nanoTime();
        long bytesBefore = backend.bytesInUse();
        Normalization norm = Normalization.of(data.train());
        // the test split is neither shuffled nor augmented
        BatchLoader train = new BatchLoader(data.train(), cfg.batchSize(), true, augment == Augmentation.CROP_FLIP, cfg.seed(), norm,
                cfg.dropsPartialLastBatch());
        BatchLoader test = new BatchLoader(data.test(), cfg.batchSize(), false, false, cfg.seed(), norm);
        Path checkpointFile = cfg.out().resolve(Checkpoint.FILE_NAME);
        // the smaller last batches are prepared (cuDNN's algorithm search) before memory is allocated
        try (Network net = Network.build(cfg.model(), backend, root, inputShape, data.classes(), cfg.batchSize(), cfg.seed(),
                train.lastBatchSize(), test.lastBatchSize())) {
            // before the optimizer: gRDA's accumulator starts at the weights it is built on
            if (from == null && cfg.initFrom() != null) NetworkTensors.loadFile(net, cfg.initFrom(), "--init-from");
            try (Optimizer opt = cfg.method().build(net.paramSpace(), new TrainingPlan(cfg.epochs(), train.batches(), cfg.seed()))) {
                RunPosition position = RunPosition.START;
                // what the caller adds to summary.json goes into every checkpoint, so a resume (by any command) writes it again
                Map<String, Object> extra = new LinkedHashMap<>(from == null ? Map.of() : from.summaryEntries());
                extra.putAll(hooks.summary());
                if (from == null) FixedMasks.loadInto(cfg, net, opt);
                if (from != null) {
                    from.restoreInto(net, opt);
                    position = from.position();
                    if (position.epochsDone() > 0) writeEpochOutputs(cfg, label(cfg.optimizer()), position.rows());
                } else {
                    hooks.start().apply(net, opt);
                }
                CheckpointListener checkpoints = new CheckpointListener(checkpointFile, cfg.checkpointEvery(),
                        new Checkpoint.RunIdentity(SparsestepVersion.get(), cfg.model(), cfg.dataset(), requested.toArgs(), extra),
                        position.epochsDone());
                List<TrainingListener> listeners = listeners(cfg, net, log);
                listeners.addAll(hooks.listeners());
                listeners.add(checkpoints);
                BnRecalibration recalibration = recalibration(cfg, net);
                // the in-order pass over the training split is built only for a run that recomputes
                BatchLoader statisticsPass = recalibration == BnRecalibration.OFF ? null
                        : new BatchLoader(data.train(), cfg.batchSize(), false, false, cfg.seed(), norm);
                try (Trainer trainer = new Trainer(net, opt, ScheduleSetup.schedule(cfg), cfg.lr(), train, test, listeners,
                        recalibration, statisticsPass)) {
                    log.printf(Locale.ROOT, "%s on %s: %,d parameters (%,d prunable), %s, %s on %s%n",
                            cfg.model() + (arch.isDefault() ? "" : " (--widths " + cfg.widths() + ")"), cfg.dataset(),
                            net.parameterCount(), Sparsity.prunableCount(net), opt.name(), describe(cfg, augment), backend.description());
                    // everything this run holds is allocated by now (a step allocates nothing), so
                    // this is its peak, also when runs share a backend
                    long runBytes = backend.bytesInUse() - bytesBefore;
                    List<EpochRow> all;
                    try (RunSignals.Registration _ = RunSignals.whileTraining(trainer)) {
                        all = trainer.run(position, cfg.epochs());
                    } catch (TrainingStoppedException e) {
                        throw stopped(e, cfg, checkpoints);
                    }
                    double previous = position.rows().stream().mapToDouble(EpochRow::seconds).sum();
                    double seconds = previous + (System.nanoTime() - start) / 1e9;
                    return finish(cfg, arch, data, backend, net, opt, all, seconds, runBytes, augment, norm, startedAt, commandLine, extra);
                }
            }
        }
    }

    /** What the run does: {@code cfg}'s setting, or off for a model without batch norm (nothing to recompute). */
    private static BnRecalibration recalibration(RunConfig cfg, Network net) {
        return BatchNormStatistics.layers(net.root()).isEmpty() ? BnRecalibration.OFF : cfg.bnRecalibration();
    }

    private static Result finish(RunConfig cfg, Architecture arch, TrainTest data, Backend backend, Network net, Optimizer opt, List<EpochRow> all,
                                 double seconds, long runBytes, Augmentation augment, Normalization norm, String startedAt, String commandLine,
                                 Map<String, Object> extra) {
        EpochRow last = all.getLast();
        Map<String, Object> hyper = new LinkedHashMap<>();
        hyper.put("lr", cfg.lr());
        hyper.put("batch_size", cfg.batchSize());
        hyper.put("lr_schedule", cfg.lrSchedule());
        hyper.put("seed", cfg.seed());
        hyper.put("augment", augment.option());
        // what the run did: a model without batch norm has nothing to recompute
        hyper.put("bn_recalibrate", recalibration(cfg, net).option());
        hyper.put("last_batch", cfg.dropsPartialLastBatch() ? "drop" : "train");
        hyper.put("method", cfg.method().options());
        hyper.put("groups", opt.hyperparameters());
        // a masked method's sparsity is its mask's; the exact zeros (the summary's sparsity) may count a few kept zeros too
        opt.pruningMask().ifPresent(m -> hyper.put("mask", Map.of("kept", m.kept(), "prunable", m.size(),
                "sparsity", Sparsity.masked(m).fraction(), "counts", "conv/linear weights")));
        hyper.putAll(extra);
        RunSummary summary = new RunSummary(opt.name(), cfg.model(), cfg.dataset(), backend.name(), cfg.epochs(),
                last.testAccuracy(), last.sparsity(), net.parameterCount(), seconds, runBytes, opt.stateBytes(), hyper,
                last.trainLoss(), last.testLoss(), data.train().count(), data.test().count(), last.layerSparsity(),
                startedAt, commandLine, SparsestepVersion.get());
        try {
            // the summary says the run finished, so it goes last: a run that cannot write
            // its weights (a full disk) must not leave one behind
            writeWeights(net, opt, cfg, arch, norm, summary, cfg.out().resolve("weights.safetensors"));
            SummaryJson.write(cfg.out().resolve("summary.json"), List.of(summary));
        } catch (IOException e) {
            throw outputFailure(cfg, e);
        }
        return new Result(summary, all);
    }

    /** Where the stopped run can continue from, in the words the user needs. */
    private static RunStoppedException stopped(TrainingStoppedException e, RunConfig cfg, CheckpointListener checkpoints) {
        String signal = RunSignals.receivedSignal();
        String by = signal == null ? "on request" : "by SIG" + signal;
        String where = checkpoints.lastWritten() > 0
                ? String.format(Locale.ROOT, "the last checkpoint is %s (after epoch %d); continue with: sparsestep resume %s",
                        checkpoints.file(), checkpoints.lastWritten(), cfg.out())
                : "no checkpoint was written yet (the first comes after epoch " + Math.min(cfg.checkpointEvery(), cfg.epochs())
                        + "); run the same command again to start over";
        return new RunStoppedException(String.format(Locale.ROOT, "stopped %s during epoch %d, after step %d; nothing is half-written; %s",
                by, e.epoch(), e.globalStep(), where), RunSignals.exitCode(signal));
    }

    /** The loop's listeners for this run: progress bar (on a terminal), divergence check, per-epoch report and files. */
    private static List<TrainingListener> listeners(RunConfig cfg, Network net, PrintStream log) {
        String label = label(cfg.optimizer());
        List<TrainingListener> out = new java.util.ArrayList<>(); // mutable: the run adds its checkpoint listener
        if (cfg.progress()) out.add(new ProgressListener(label, Sparsity.prunableCount(net)));
        out.add(new DivergenceCheck(label));
        out.add(new EpochReport(label, log, rows -> writeEpochOutputs(cfg, label, rows)));
        return out;
    }

    /** metrics.csv and the charts after every epoch, so a killed run still leaves valid files. */
    private static void writeEpochOutputs(RunConfig cfg, String label, List<EpochRow> rows) {
        try {
            List<String> layers = List.copyOf(rows.getFirst().layerSparsity().keySet());
            MetricsCsv.write(cfg.out().resolve("metrics.csv"), layers, rows);
            ProgressChart.write(cfg.out().resolve("chart.png"), cfg.model() + " on " + cfg.dataset(), Map.of(label, rows));
            LayerSparsityChart.write(cfg.out().resolve(LayerSparsityChart.FILE_NAME),
                    cfg.model() + " on " + cfg.dataset() + ", " + label + ": sparsity per layer", rows);
        } catch (IOException e) {
            throw outputFailure(cfg, e);
        }
    }

    /** One line for the CLI; a full disk's own line already names the file and the fix. */
    private static UncheckedIOException outputFailure(RunConfig cfg, IOException e) {
        String line = e instanceof DiskFullException ? e.getMessage() : "cannot write outputs to " + cfg.out() + ": " + e.getMessage();
        return new UncheckedIOException(line, e);
    }

    /** "gRDA" or "SGD", for tables and legends. */
    public static String label(String optimizer) { return io.sparsestep.optim.Methods.find(optimizer).label(); }

    private static String describe(RunConfig cfg, Augmentation augment) {
        StringBuilder sb = new StringBuilder();
        cfg.method().options().forEach((option, value) -> sb.append(sb.isEmpty() ? "" : " ").append(option.substring(2)).append(' ').append(value));
        return sb + ", augment " + augment.option();
    }





    /**
     * Final parameters and running statistics by name, float32, with run metadata; the
     * architecture goes in too, so `eval` and `shrink` build the right widths from the file alone,
     * and the input normalisation, so `export` needs no training data.
     */
    static void writeWeights(Network net, Optimizer opt, RunConfig cfg, Architecture arch, Normalization norm, RunSummary summary, Path file)
            throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            LinkedHashMap<String, FloatTensorData> tensors = NetworkTensors.of(net, arena);
            // a masked method's mask goes with its weights (pruned entries are exactly 0 there), for mask comparisons
            opt.pruningMask().ifPresent(m -> Checkpoint.putMask(tensors, "prune", m, arena));
            Map<String, String> meta = new LinkedHashMap<>();
            meta.put("format", "sparsestep");
            meta.put("model", cfg.model());
            meta.put("dataset", cfg.dataset());
            meta.put("optimizer", summary.optimizer());
            meta.put("test_accuracy", Double.toString(summary.testAccuracy()));
            meta.put("sparsity", Double.toString(summary.sparsity()));
            meta.put(NetworkTensors.ARCHITECTURE, arch.toCompactJson());
            // what the inputs were normalised with: an export or eval elsewhere needs no training data for it
            meta.put(NormalizationMetadata.KEY, NormalizationMetadata.toJson(norm));
            Safetensors.write(file, tensors, meta);
        }
    }
}
