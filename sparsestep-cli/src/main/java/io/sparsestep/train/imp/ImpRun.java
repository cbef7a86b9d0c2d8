package io.sparsestep.train.imp;

import io.sparsestep.backend.Backend;
import io.sparsestep.data.TrainTest;
import io.sparsestep.params.Mask;
import io.sparsestep.train.RunConfig;
import io.sparsestep.train.RunHooks;
import io.sparsestep.train.TrainingListener;
import io.sparsestep.train.TrainingRun;
import io.sparsestep.train.WeightsSnapshot;
import io.sparsestep.train.compare.RunStart;
import io.sparsestep.train.io.FolderLock;
import io.sparsestep.train.io.OutputFolder;
import io.sparsestep.train.io.RunSummary;
import io.sparsestep.train.io.SummaryJson;
import io.sparsestep.train.masks.RunMask;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The rounds of an IMP run, in order: train, prune, reset, train again. Each round is a train
 * run in its own folder; taken up again (the same command after a kill or a stop), a round
 * that finished with this configuration is kept, an interrupted one resumes from its
 * checkpoint, and only the rest is trained, as {@link RunStart} decides for a comparison. A
 * round after one this command (re)trained starts over, so a round never builds on outputs
 * that are not its predecessor's. imp.json, imp.csv and imp.png are rewritten after every round.
 */
public final class ImpRun {
    private ImpRun() {}

    /** Runs rounds 0 .. {@code cfg.rounds() - 1}; returns them all. */
    public static List<ImpRound> run(ImpConfig cfg, TrainTest data, Backend backend, PrintStream log, String commandLine) {
        List<ImpRound> rounds = new ArrayList<>();
        try {
            ImpReport.write(cfg, rounds, commandLine);
            boolean upstreamTrained = false;
            for (int r = 0; r < cfg.rounds(); r++) {
                ImpRound round = runRound(cfg, r, upstreamTrained, data, backend, log, commandLine);
                upstreamTrained |= !round.status().equals(ImpRound.Status.KEPT.word());
                rounds.add(round);
                ImpReport.write(cfg, rounds, commandLine);
                log.printf(Locale.ROOT, "imp: round %d (%s): test accuracy %.4f, sparsity %.4f of %,d conv/linear weights (mask), %,d of %,d "
                                + "parameters kept%n", r, round.status(), round.testAccuracy(), round.sparsity(), round.prunableWeights(),
                        round.keptParams(), round.params());
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the IMP outputs to " + cfg.out() + ": " + e.getMessage(), e);
        }
        return rounds;
    }

    private static ImpRound runRound(ImpConfig cfg, int r, boolean upstreamTrained, TrainTest data, Backend backend, PrintStream log,
                                     String commandLine) throws IOException {
        RunConfig rc = cfg.round(r);
        String tag = "imp: " + ImpConfig.roundName(r);
        OutputFolder.checkUsable(rc.out());
        // the checkpoint's tensors stay in memory until they are restored into the network
        try (FolderLock _ = FolderLock.acquire(rc.out()); Arena arena = Arena.ofShared()) {
            RunStart start = RunStart.decide(rc, arena);
            if (upstreamTrained && start.kind() != RunStart.Kind.FRESH) {
                start = new RunStart(RunStart.Kind.FRESH, null, "its outputs predate the round before it, which this command trained again");
            }
            String from = startedFrom(cfg, r);
            switch (start.kind()) {
                case FINISHED -> {
                    log.printf(Locale.ROOT, "%s: %s; kept (%s)%n", tag, start.why(), rc.out());
                    return ImpRound.of(r, ImpRound.Status.KEPT, from, SummaryJson.read(rc.out().resolve(SummaryJson.FILE_NAME)).getFirst(),
                            RunMask.read(rc.out()));
                }
                case RESUME -> {
                    log.printf(Locale.ROOT, "%s: %s (%s)%n", tag, start.why(), rc.out());
                    RunHooks hooks = new RunHooks((net, opt) -> {}, listeners(cfg, r, start.checkpoint().globalStep()));
                    RunSummary s = TrainingRun.resume(rc, start.checkpoint(), data, backend, log, commandLine, hooks).summary();
                    return ImpRound.of(r, ImpRound.Status.RESUMED, from, s, RunMask.read(rc.out()));
                }
                default -> {
                    log.printf(Locale.ROOT, "%s: training from %s (%s)%n", tag, from, start.why());
                    if (Files.isDirectory(rc.out())) OutputFolder.clearTornWrites(rc.out(), TrainingRun.OUTPUT_FILES);
                    if (r > 0) ImpStart.prepare(cfg, r, data, backend);
                    RunSummary s = TrainingRun.execute(rc, data, backend, log, commandLine, new RunHooks(start(cfg, r), listeners(cfg, r, 0)))
                            .summary();
                    return ImpRound.of(r, ImpRound.Status.TRAINED, from, s, RunMask.read(rc.out()));
                }
            }
        }
    }

    /**
     * A fresh round's first step: round 0 records its initial weights (what {@code rewind}
     * returns to); a later round takes its mask from its start file, whose weights
     * {@code --init-from} has loaded.
     */
    private static RunHooks.Start start(ImpConfig cfg, int r) {
        if (r == 0) {
            return (net, opt) -> {
                try {
                    WeightsSnapshot.write(net, cfg.base().architecture(), null, cfg.roundDir(0).resolve(ImpFiles.INIT),
                            Map.of("dataset", cfg.base().dataset(), "imp_file", "round 0's initial weights"));
                } catch (IOException e) {
                    throw new UncheckedIOException(e.getMessage(), e);
                }
            };
        }
        return (net, opt) -> {
            Mask mask = opt.pruningMask().orElseThrow(() -> new IllegalStateException(opt.name() + " has no mask to train an IMP round with"));
            ImpFiles.loadMask(cfg.roundDir(r).resolve(ImpFiles.START), mask);
            mask.applyTo(net.paramSpace().values());
        };
    }

    /** Round 0 under {@code rewind-to K} saves the weights after step K, unless it is resumed past it (then the file exists). */
    private static List<TrainingListener> listeners(ImpConfig cfg, int r, long stepsDone) {
        if (r != 0 || cfg.reset().kind() != ImpReset.Kind.REWIND_TO || stepsDone >= cfg.reset().step()) return List.of();
        Path file = cfg.roundDir(0).resolve(ImpFiles.REWIND);
        return List.of(WeightsSnapshot.afterStep(cfg.reset().step(), cfg.base().architecture(), file,
                Map.of("dataset", cfg.base().dataset(), "imp_file", "round 0's weights after " + cfg.reset().step() + " training iterations")));
    }

    /** What round {@code r} starts from, in words. */
    static String startedFrom(ImpConfig cfg, int r) {
        if (r == 0) return cfg.base().initFrom() != null ? "--init-from " + cfg.base().initFrom() : "seed " + cfg.base().seed();
        return switch (cfg.reset().kind()) {
            case REWIND -> "rewind to round 0's init";
            case REWIND_TO -> "rewind to round 0's step " + cfg.reset().step();
            case REINIT -> "reinit seed " + Long.toUnsignedString(cfg.reinitSeed(r));
            case CONTINUE -> "continue from round " + (r - 1);
        };
    }
}
