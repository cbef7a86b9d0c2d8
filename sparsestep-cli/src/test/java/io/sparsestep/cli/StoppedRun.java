package io.sparsestep.cli;

import io.sparsestep.backend.cpu.CpuBackend;
import io.sparsestep.data.Datasets;
import io.sparsestep.data.TrainTest;
import io.sparsestep.store.Checkpoint;
import io.sparsestep.train.RunConfig;
import io.sparsestep.train.RunHooks;
import io.sparsestep.train.RunStoppedException;
import io.sparsestep.train.TrainingListener;
import io.sparsestep.train.TrainingRun;
import io.sparsestep.train.TrainingStoppedException;

import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A run of the train command's configuration stopped as an epoch starts, as a signal would stop it, leaving its checkpoint. */
final class StoppedRun {
    private StoppedRun() {}

    /** The configuration the train command builds from {@code args}. */
    static RunConfig config(String[] args) {
        TrainCommand train = Main.commandLine().parseArgs(args).subcommand().commandSpec().commandLine().getCommand();
        return train.config();
    }

    /** Trains {@code cfg} on a 2-thread CPU backend until {@code epoch} starts; its checkpoint is the one after epoch - 1. */
    static void stopWhenEpochStarts(RunConfig cfg, int epoch) {
        TrainTest data = Datasets.load(cfg.dataset(), cfg.dataDir(), cfg.seed(), cfg.trainLimit(), cfg.testLimit());
        TrainingListener stop = new TrainingListener() {
            @Override
            public void onEpochStart(EpochStart e) {
                if (e.epoch() == epoch) throw new TrainingStoppedException(epoch, epoch);
            }
        };
        try (CpuBackend be = new CpuBackend(2); PrintStream quiet = new PrintStream(OutputStream.nullOutputStream())) {
            assertThrows(RunStoppedException.class, () -> TrainingRun.execute(cfg, data, be, quiet, "test",
                    new RunHooks((net, opt) -> {}, List.of(stop))));
        }
        assertTrue(Files.exists(cfg.out().resolve(Checkpoint.FILE_NAME)), "a checkpoint after epoch " + (epoch - 1));
    }
}
