package io.sparsestep.train;

import io.sparsestep.store.RunPosition;
import io.sparsestep.store.Checkpoint;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;

/**
 * Writes the run's {@link Checkpoint} after every {@code every}-th epoch and after the last
 * one. The write is atomic (temp file, fsync, rename), so a kill at any moment leaves the
 * previous checkpoint or the new one, never a mix; {@link #lastWritten()} is what a stopped
 * run points the user to.
 */
final class CheckpointListener implements TrainingListener {
    private final Path file;
    private final int every;
    private final Checkpoint.RunIdentity identity;
    private int lastEpoch;
    private int epochs = Integer.MAX_VALUE;

    CheckpointListener(Path file, int every, Checkpoint.RunIdentity identity, int epochsAlreadyCheckpointed) {
        if (every < 1) throw new IllegalArgumentException("--checkpoint-every must be >= 1 epoch, got " + every);
        this.file = file;
        this.every = every;
        this.identity = identity;
        this.lastEpoch = epochsAlreadyCheckpointed;
    }

    @Override
    public void onEpochStart(EpochStart e) {
        epochs = e.epochs(); // the final epoch is always checkpointed
    }

    @Override
    public void onEpochEnd(EpochEnd e) {
        int epoch = e.row().epoch();
        if (epoch % every != 0 && epoch != epochs) return;
        try {
            Checkpoint.write(file, e.net(), e.optimizer(), new RunPosition(epoch, e.globalStep(), e.rows()), identity);
        } catch (IOException ex) {
            throw new UncheckedIOException(ex.getMessage() == null ? "cannot write " + file : ex.getMessage(), ex);
        }
        lastEpoch = epoch;
    }

    /** The epoch of the newest complete checkpoint (0: none yet). */
    int lastWritten() { return lastEpoch; }

    Path file() { return file; }
}
