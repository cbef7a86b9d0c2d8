package io.sparsestep.train.imp;

import io.sparsestep.data.TrainTest;
import io.sparsestep.optim.ImpRule;
import io.sparsestep.optim.MagnitudeSpec;
import io.sparsestep.train.RunConfig;
import io.sparsestep.train.TrainingRun;

import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * One iterative-pruning run: {@code rounds} rounds (round 0 trains densely), each a full
 * training run of {@code base}'s model, data, schedule and seed into {@code <out>/round-NN},
 * then {@code rule} narrows the mask and {@code reset} says what the next round starts from.
 * Each round trains with one-shot magnitude pruning's optimizer at {@code --sparsity 0
 * --prune-epoch 0} ({@code base.method()}): momentum SGD with the round's mask held fixed,
 * its mask checkpointed and written with the weights as {@code mask.prune.*}, so every round
 * folder is a train run that {@code resume} continues.
 */
public record ImpConfig(RunConfig base, ImpRule rule, ImpReset reset, int rounds) {
    public ImpConfig {
        if (!(base.method() instanceof MagnitudeSpec m) || m.sparsity() != 0 || m.pruneEpoch() != 0) {
            throw new IllegalArgumentException("an IMP round trains with magnitude pruning at --sparsity 0 --prune-epoch 0, got " + base.method());
        }
        if (base.initFrom() != null && reset.kind() == ImpReset.Kind.REINIT) {
            // round 0 would start from the file, every later round from fresh draws: two kinds of start
            throw new IllegalArgumentException("--init-from starts round 0 from given weights; --reset reinit draws fresh ones for the "
                    + "later rounds; use --reset rewind to come back to the file's weights");
        }
        if (rounds < 1) throw new IllegalArgumentException("--rounds must be >= 1 (round 0 is the dense training), got " + rounds);
    }

    /** The top folder ({@code --out}). */
    public Path out() { return base.out(); }

    /** {@code round-00}, {@code round-01}, ... */
    public static String roundName(int round) { return String.format(Locale.ROOT, "round-%02d", round); }

    public Path roundDir(int round) { return out().resolve(roundName(round)); }

    /** Round {@code round}'s train run: round 0 from the seed's (or --init-from's) weights, later rounds from their start file. */
    public RunConfig round(int round) {
        RunConfig b = base;
        Path initFrom = round == 0 ? b.initFrom() : roundDir(round).resolve(ImpFiles.START);
        return new RunConfig(b.model(), b.dataset(), b.dataDir(), b.method(), b.epochs(), b.batchSize(), b.lrSchedule(), b.milestones(),
                b.gamma(), b.seed(), b.device(), roundDir(round), b.trainLimit(), b.testLimit(), b.progress(), b.augment(),
                b.checkpointEvery(), initFrom, b.widths(), b.bnRecalibrate(), b.lastBatch());
    }

    /**
     * The seed of round {@code round}'s fresh initialisation under {@code --reset reinit}:
     * {@code seed + round * 0x9E3779B97F4A7C15} (wrapping; the golden-ratio increment of
     * SplitMix64), so each round draws other weights and the data order stays the seed's.
     */
    public long reinitSeed(int round) { return base.seed() + round * 0x9E3779B97F4A7C15L; }

    /**
     * What makes two IMP runs the same, as command-line arguments: every training setting
     * (train's canonical arguments, {@link RunConfig#toArgs}) and the rule and reset; not
     * {@code --rounds}, so the same command with more rounds continues a finished run.
     */
    public List<String> identity() {
        List<String> a = new ArrayList<>(base.toArgs());
        a.addAll(List.of("--fraction", Double.toString(rule.fraction()), "--criterion", rule.criterion().option(),
                "--structure", rule.structure().option(), "--scope", rule.scope().option(), "--norm", Double.toString(rule.norm()),
                "--reset"));
        a.addAll(reset.words());
        return a;
    }

    /**
     * Checks what needs the data: {@code rewind-to K} must lie within round 0's steps
     * ({@code epochs x ceil(train images / batch)}, the batch cut to the data as train does).
     */
    public void checkAgainst(TrainTest data) {
        if (reset.kind() != ImpReset.Kind.REWIND_TO) return;
        int batch = TrainingRun.fitBatchToData(base, data, new PrintStream(OutputStream.nullOutputStream())).batchSize();
        long perEpoch = (data.train().count() + batch - 1) / batch, steps = perEpoch * base.epochs();
        if (reset.step() > steps) {
            throw new IllegalArgumentException(String.format(Locale.ROOT, "--reset rewind-to %d is past the %,d training iterations of "
                    + "round 0 (%d epochs x %d batches); use at most %d", reset.step(), steps, base.epochs(), perEpoch, steps));
        }
    }
}
