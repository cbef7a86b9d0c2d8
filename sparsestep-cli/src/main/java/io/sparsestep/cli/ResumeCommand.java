package io.sparsestep.cli;

import io.sparsestep.backend.Backend;
import io.sparsestep.devices.Backends;
import io.sparsestep.data.Datasets;
import io.sparsestep.data.TrainTest;
import io.sparsestep.store.Checkpoint;
import io.sparsestep.train.RunConfig;
import io.sparsestep.train.RunSignals;
import io.sparsestep.train.TrainingRun;
import io.sparsestep.train.io.FolderLock;
import io.sparsestep.train.io.OutputFolder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

@Command(name = "resume", mixinStandardHelpOptions = true,
        description = "Continue the run in DIR from its checkpoint.safetensors to the epoch count it was started with: the same "
                + "model, data, method, schedule and seed, read from the checkpoint. On the CPU the result is bitwise the "
                + "uninterrupted run's (final weights, metrics rows, summary apart from times).")
public final class ResumeCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "DIR", description = "the run's --out folder, holding checkpoint.safetensors")
    Path dir;

    @Option(names = "--device", description = "auto, cpu, cuda (GPU 0) or cuda:N; may differ from the first run's (default: ${DEFAULT-VALUE})")
    String device = "auto";

    @Option(names = "--no-progress", description = "No progress bar")
    boolean noProgress;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        if (!Files.isDirectory(dir)) {
            throw new IllegalArgumentException("resume " + dir + ": no such folder; pass the --out folder of a run started with `sparsestep train`");
        }
        // the checkpoint's tensors stay in memory until they are restored into the network
        try (Arena arena = Arena.ofShared()) {
            Checkpoint checkpoint = Checkpoint.read(dir.resolve(Checkpoint.FILE_NAME), arena);
            RunConfig cfg = TrainCommand.configFrom(checkpoint, dir).on(device, !noProgress);
            TrainingRun.check(cfg);
            OutputFolder.checkUsable(dir);
            try (FolderLock _ = FolderLock.acquire(dir)) {
                TrainTest data = Datasets.load(cfg.dataset(), cfg.dataDir(), cfg.seed(), cfg.trainLimit(), cfg.testLimit());
                try (Backend backend = Backends.open(cfg.device(), System.err)) {
                    RunSignals.install();
                    TrainCommand.report(cfg, TrainingRun.resume(cfg, checkpoint, data, backend, System.out, TrainCommand.commandLine(spec)), data);
                }
            }
        }
        return 0;
    }
}
