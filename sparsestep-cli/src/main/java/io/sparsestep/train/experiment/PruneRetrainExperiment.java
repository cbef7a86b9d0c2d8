package io.sparsestep.train.experiment;

import io.sparsestep.backend.Backend;
import io.sparsestep.data.Datasets;
import io.sparsestep.data.TrainTest;
import io.sparsestep.train.FreshInit;
import io.sparsestep.train.RunConfig;
import io.sparsestep.train.RunHooks;
import io.sparsestep.train.ShrinkRun;
import io.sparsestep.train.TrainingRun;
import io.sparsestep.train.compare.Comparison;
import io.sparsestep.train.compare.MethodOutcome;
import io.sparsestep.train.imp.ImpConfig;
import io.sparsestep.train.imp.ImpReport;
import io.sparsestep.train.imp.ImpRound;
import io.sparsestep.train.imp.ImpRun;
import io.sparsestep.train.io.FolderLock;
import io.sparsestep.train.io.OutputFolder;
import io.sparsestep.train.masks.MaskSimilarity;
import io.sparsestep.train.masks.RunMask;
import io.sparsestep.train.retrain.RetrainMode;
import io.sparsestep.train.retrain.RetrainOptions;
import io.sparsestep.train.retrain.RetrainPlan;
import io.sparsestep.train.retrain.RetrainSource;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs a {@link PruneRetrainPlan} part after part, in process, through the commands' own
 * classes: {@link ImpRun} for the two IMP runs, {@link Comparison#runOne} for every other
 * run (so each run folder is kept when finished with this configuration, resumed from its
 * checkpoint when interrupted, trained otherwise, as {@code compare} does), {@link ShrinkRun}
 * and {@link RetrainPlan} for the Rethinking part. A run downstream of one this command
 * trained again (the shrink and the retrains after the L1 run) starts over, so no result
 * builds on outputs that are not its input's.
 */
public final class PruneRetrainExperiment {
    /** One retrain row: the run folder, how this command came by it, its result. */
    public record RetrainRun(String name, Path dir, String status, io.sparsestep.train.io.RunSummary summary) {}

    /** Everything the report needs; {@code retrains} is empty for a model without the Rethinking part. */
    public record Result(Map<String, List<ImpRound>> imp, List<MethodOutcome> methods, List<RunMask> masks, List<MaskSimilarity.Pair> pairs,
                         List<RetrainRun> retrains, String shrink) {}

    private PruneRetrainExperiment() {}

    /** Checks every run's settings and the IMP folders (another configuration's IMP run is refused) before anything is loaded. */
    public static void check(PruneRetrainPlan plan) {
        for (String reset : PruneRetrainPlan.RESETS) {
            ImpConfig cfg = plan.imp(reset);
            for (int r = 0; r < 2; r++) TrainingRun.check(cfg.round(r));
            OutputFolder.checkUsable(cfg.out());
            ImpReport.conflict(cfg).ifPresent(why -> {
                throw new IllegalArgumentException(why + "; choose another --out, or delete it to start over");
            });
        }
        for (RunConfig r : plan.maskMethods()) TrainingRun.check(r);
        if (plan.size().hasRetrain()) TrainingRun.check(plan.l1Filter());
    }

    /** The data every run of the plan trains on (one seed, one pair of limits). */
    public static TrainTest data(PruneRetrainPlan plan) {
        ExperimentSize s = plan.size();
        return Datasets.load(s.dataset(), null, plan.seed(), s.trainSamples(), s.testSamples());
    }

    public static Result run(PruneRetrainPlan plan, TrainTest data, Backend backend, PrintStream log, String commandLine) {
        Map<String, List<ImpRound>> imp = new LinkedHashMap<>();
        for (String reset : PruneRetrainPlan.RESETS) {
            ImpConfig cfg = plan.imp(reset);
            log.println("experiment: (a) IMP --reset " + reset + " in " + cfg.out());
            try (FolderLock _ = FolderLock.acquire(cfg.out())) {
                imp.put(reset, ImpRun.run(cfg, data, backend, log, commandLine));
            }
        }

        log.printf(java.util.Locale.ROOT, "experiment: (b) gRDA, GSM and GMP at IMP's sparsity %.4f%n", plan.size().impTarget());
        List<MethodOutcome> methods = new ArrayList<>();
        List<RunConfig> runs = plan.maskMethods();
        for (int i = 0; i < runs.size(); i++) {
            RunConfig run = runs.get(i);
            String tag = String.format(java.util.Locale.ROOT, "experiment: [%d/%d] %s", i + 1, runs.size(), run.optimizer());
            methods.add(locked(run, () -> Comparison.runOne(tag, run, data, backend, log, commandLine)));
        }
        List<RunMask> masks = new ArrayList<>();
        for (MethodOutcome o : methods) if (o.finished()) masks.add(o.mask().withLabel(o.method()));
        masks.add(RunMask.read(plan.impLastRound("rewind")).withLabel("imp-rewind"));
        List<MaskSimilarity.Pair> pairs = MaskSimilarity.compare(masks);

        List<RetrainRun> retrains = new ArrayList<>();
        String shrink = null;
        if (plan.size().hasRetrain()) {
            log.println("experiment: (c) L1 filter pruning, then fine-tune, Scratch-E and Scratch-B");
            shrink = rethinking(plan, data, backend, log, commandLine, retrains);
        }
        return new Result(imp, methods, masks, pairs, retrains, shrink);
    }

    /** The L1 run, its shrink and the three retrains; returns what the shrink did, in words. */
    private static String rethinking(PruneRetrainPlan plan, TrainTest data, Backend backend, PrintStream log, String commandLine,
                                     List<RetrainRun> rows) {
        RunConfig l1 = plan.l1Filter();
        MethodOutcome pruned = locked(l1, () -> Comparison.runOne("experiment: l1", l1, data, backend, log, commandLine));
        if (!pruned.finished()) throw pruned.error();
        rows.add(new RetrainRun("L1 filter pruning", l1.out(), pruned.status().words(), pruned.summary()));
        boolean upstream = pruned.status() != MethodOutcome.Status.KEPT;
        Path shrunkArch = plan.shrunk().resolve(ShrinkRun.ARCHITECTURE);
        String shrink;
        Path source;
        if (!upstream && Files.isRegularFile(shrunkArch)) {
            shrink = "kept (" + plan.shrunk() + ")";
            source = plan.shrunk();
        } else {
            // a kept L1 run shrinks to the same network every time: only a retrained L1 run restarts the retrains
            ShrinkRun.Outcome o = ShrinkRun.run(l1.out(), plan.shrunk(), null, null, null);
            source = o.out() != null ? o.out() : l1.out();
            shrink = o.out() == null ? "nothing to remove; retrained on the L1 run's mask" : String.format(java.util.Locale.ROOT,
                    "%d filters removed, %d zero filters kept as mask zeros; %,d -> %,d parameters, %,d -> %,d multiply-adds (dense count)",
                    o.result().removedFilters(), o.result().zeroFiltersKept(), o.before().parameters(), o.after().parameters(),
                    o.before().macs(), o.after().macs());
        }
        log.println("experiment: shrink: " + shrink);
        RetrainSource src = RetrainSource.resolve(source);
        String widths = src.widths(l1.widths(), l1.architecture());
        for (String m : PruneRetrainPlan.RETRAIN_MODES) {
            RetrainMode mode = RetrainMode.parse(m);
            Path dir = plan.retrain(m);
            RetrainOptions options = new RetrainOptions(mode.fromScratch() ? null : plan.size().finetuneEpochs(), null, null, null, null, null,
                    null, null, plan.device(), plan.progress());
            RetrainPlan rp = RetrainPlan.of(mode, src.weights(), src.structure(), widths, l1, src.recipe(), options, dir,
                    dir.resolve("init.safetensors").toAbsolutePath());
            RunConfig cfg = rp.config();
            Runnable init = mode.fromScratch() ? () -> FreshInit.writeForRun(backend, src.structure().architecture(), cfg, rp.initSeed()) : () -> {};
            Comparison.Extras extras = new Comparison.Extras(RunHooks.summary(Map.of("retrain", rp.provenance())), init,
                    upstream ? "the structure it retrains was made again by this command" : null);
            MethodOutcome o = locked(cfg, () -> Comparison.runOne("experiment: " + m, cfg, data, backend, log, commandLine, extras));
            if (!o.finished()) throw o.error();
            rows.add(new RetrainRun(m, dir, o.status().words(), o.summary()));
        }
        return shrink;
    }

    /** {@code body} with the run's folder checked and locked, as {@code compare} holds its run folders. */
    private static MethodOutcome locked(RunConfig cfg, java.util.function.Supplier<MethodOutcome> body) {
        OutputFolder.checkUsable(cfg.out());
        try (FolderLock _ = FolderLock.acquire(cfg.out())) {
            return body.get();
        }
    }
}
