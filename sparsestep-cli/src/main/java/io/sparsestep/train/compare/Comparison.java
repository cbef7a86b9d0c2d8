package io.sparsestep.train.compare;

import io.sparsestep.backend.Backend;
import io.sparsestep.data.TrainTest;
import io.sparsestep.train.RunConfig;
import io.sparsestep.train.RunHooks;
import io.sparsestep.train.RunStoppedException;
import io.sparsestep.train.TrainingRun;
import io.sparsestep.train.io.LayerBarChart;
import io.sparsestep.train.io.OutputFolder;
import io.sparsestep.train.io.ParetoChart;
import io.sparsestep.train.io.RunSummary;
import io.sparsestep.train.io.SummaryJson;
import io.sparsestep.train.masks.RunMask;

import java.io.IOException;
import java.io.PrintStream;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Several methods trained one after the other on one model, data and seed, each into its own
 * run folder ({@code <out>/<method>}, a normal train run that {@code resume} continues).
 * Since the weights are drawn from the seed and the data order is a function of (seed,
 * epoch), every method starts from the same weights and sees the same batches.
 *
 * <p>A method that fails (any exception but a stop by signal) is recorded with its reason and
 * the next one runs; a stop ends the comparison with the run's own message. Taken up again,
 * each folder is kept, resumed or started over as {@link RunStart} decides, so a killed
 * comparison loses at most the epochs after the last checkpoint of the run it was in.
 */
public final class Comparison {
    /** What a comparison writes into its top folder (an earlier comparison's files of these names are removed when it starts). */
    public static final List<String> OUTPUT_FILES = List.of(ComparisonReport.TABLE_FILE, ParetoChart.FILE_NAME, LayerBarChart.FILE_NAME,
            ComparisonReport.HTML_FILE, SummaryJson.FILE_NAME);

    private Comparison() {}

    /** Runs {@code runs} in order (configs of one model and data, each with its own folder); returns every outcome. */
    public static List<MethodOutcome> run(List<RunConfig> runs, TrainTest data, Backend backend, PrintStream log, String commandLine) {
        List<MethodOutcome> outcomes = new ArrayList<>();
        for (int i = 0; i < runs.size(); i++) {
            RunConfig cfg = runs.get(i);
            String tag = String.format(Locale.ROOT, "[%d/%d] %s", i + 1, runs.size(), cfg.optimizer());
            MethodOutcome outcome = runOne(tag, cfg, data, backend, log, commandLine);
            if (outcome.finished()) {
                log.printf(Locale.ROOT, "%s: test accuracy %.4f, sparsity %.4f of %,d conv/linear weights (%s), %.1f s%n", tag,
                        outcome.summary().testAccuracy(), outcome.mask().sparsity(), outcome.mask().size(), outcome.mask().source().words(),
                        outcome.summary().seconds());
            } else {
                log.println(tag + ": failed: " + outcome.failure());
            }
            outcomes.add(outcome);
        }
        return outcomes;
    }

    /**
     * One run of a comparison (or of any search over runs): trained, resumed or kept as
     * {@link RunStart} decides, a failure recorded rather than thrown, a stop by signal thrown.
     * {@code tag} starts its log lines.
     */
    public static MethodOutcome runOne(String tag, RunConfig cfg, TrainTest data, Backend backend, PrintStream log, String commandLine) {
        return runOne(tag, cfg, data, backend, log, commandLine, Extras.NONE);
    }

    /**
     * What a caller adds to {@link #runOne}: the run's hooks (entries for summary.json, which
     * its checkpoint carries to a resume), a step before a run trained from the start (a scratch
     * retrain's fresh initial weights), and a reason to start over whatever the folder holds
     * (null: {@link RunStart} decides), for a run whose input a run before it changed.
     */
    public record Extras(RunHooks hooks, Runnable beforeFresh, String startOver) {
        public static final Extras NONE = new Extras(RunHooks.NONE, () -> {}, null);
    }

    /** {@link #runOne} with a caller's {@link Extras}. */
    public static MethodOutcome runOne(String tag, RunConfig cfg, TrainTest data, Backend backend, PrintStream log, String commandLine,
                                       Extras extras) {
        String label = TrainingRun.label(cfg.optimizer());
        // the checkpoint's tensors stay in memory until they are restored into the network
        try (Arena arena = Arena.ofShared()) {
            RunStart start = extras.startOver() == null ? RunStart.decide(cfg, arena) : new RunStart(RunStart.Kind.FRESH, null, extras.startOver());
            switch (start.kind()) {
                case FINISHED -> {
                    log.printf(Locale.ROOT, "%s (%s): %s; kept (%s)%n", tag, label, start.why(), cfg.out());
                    return MethodOutcome.finished(cfg, label, MethodOutcome.Status.KEPT, keptSummary(cfg), RunMask.read(cfg.out()));
                }
                case RESUME -> {
                    log.printf(Locale.ROOT, "%s (%s): %s (%s)%n", tag, label, start.why(), cfg.out());
                    RunSummary s = TrainingRun.resume(cfg, start.checkpoint(), data, backend, log, commandLine, extras.hooks()).summary();
                    return MethodOutcome.finished(cfg, label, MethodOutcome.Status.RESUMED, s, RunMask.read(cfg.out()));
                }
                default -> {
                    log.printf(Locale.ROOT, "%s (%s): training from the start in %s (%s)%n", tag, label, cfg.out(), start.why());
                    // temp files a killed write of an earlier run left; the folder is locked, so they are no one else's
                    if (Files.isDirectory(cfg.out())) OutputFolder.clearTornWrites(cfg.out(), TrainingRun.OUTPUT_FILES);
                    extras.beforeFresh().run();
                    RunSummary s = TrainingRun.execute(cfg, data, backend, log, commandLine, extras.hooks()).summary();
                    return MethodOutcome.finished(cfg, label, MethodOutcome.Status.TRAINED, s, RunMask.read(cfg.out()));
                }
            }
        } catch (RunStoppedException stopped) {
            throw stopped;
        } catch (RuntimeException e) {
            return MethodOutcome.failed(cfg, label, e);
        }
    }

    private static RunSummary keptSummary(RunConfig cfg) {
        try {
            return SummaryJson.read(cfg.out().resolve(SummaryJson.FILE_NAME)).getFirst();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e.getMessage(), e);
        }
    }
}
