package io.sparsestep.train.compare;

import io.sparsestep.store.Checkpoint;
import io.sparsestep.store.CheckpointException;
import io.sparsestep.train.RunConfig;
import io.sparsestep.train.io.SummaryJson;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * How a comparison takes up one method's run folder again. Only a checkpoint of exactly this
 * run's configuration ({@link Checkpoint#args()} equal to {@link RunConfig#toArgs()}: model,
 * data, method with every option, schedule, seed) counts: after the last epoch, with the
 * summary.json and weights a finished run writes last, the run is {@link Kind#FINISHED} and
 * kept; at an earlier epoch (or at the last one, killed before its summary was written) it
 * is {@link Kind#RESUME}d, bitwise the uninterrupted run on the CPU; anything else (no
 * checkpoint, an unreadable one, another configuration's) is {@link Kind#FRESH}: the run
 * starts over, and {@code train}'s clearing removes the old outputs.
 */
public record RunStart(Kind kind, Checkpoint checkpoint, String why) {
    public enum Kind { FINISHED, RESUME, FRESH }

    /** Looks at {@code cfg.out()}; a checkpoint read for resuming lives in {@code arena}. */
    public static RunStart decide(RunConfig cfg, Arena arena) {
        Path file = cfg.out().resolve(Checkpoint.FILE_NAME);
        if (!Files.isRegularFile(file)) return new RunStart(Kind.FRESH, null, "no checkpoint in " + cfg.out());
        Checkpoint checkpoint;
        try {
            checkpoint = Checkpoint.read(file, arena);
            if (!checkpoint.args().equals(cfg.toArgs())) {
                return new RunStart(Kind.FRESH, null, "the checkpoint in " + cfg.out() + " is of another configuration");
            }
        } catch (CheckpointException e) {
            return new RunStart(Kind.FRESH, null, "the checkpoint in " + cfg.out() + " cannot be used (" + e.getMessage() + ")");
        }
        if (checkpoint.epochsDone() == cfg.epochs() && finishedOutputs(cfg.out())) {
            return new RunStart(Kind.FINISHED, checkpoint, "finished earlier with this configuration");
        }
        return new RunStart(Kind.RESUME, checkpoint, String.format(Locale.ROOT, "resuming its checkpoint after epoch %d of %d",
                checkpoint.epochsDone(), cfg.epochs()));
    }

    /** A readable summary.json of one run and the weights it is written after. */
    private static boolean finishedOutputs(Path dir) {
        if (!Files.isRegularFile(dir.resolve("weights.safetensors"))) return false;
        try {
            return SummaryJson.read(dir.resolve(SummaryJson.FILE_NAME)).size() == 1;
        } catch (IOException e) {
            return false;
        }
    }
}
