package io.sparsestep.cli;

import io.sparsestep.backend.Backend;
import io.sparsestep.data.Datasets;
import io.sparsestep.devices.Backends;
import io.sparsestep.train.io.FolderLock;
import io.sparsestep.train.io.OutputFolder;
import io.sparsestep.data.TrainTest;
import io.sparsestep.train.analyze.AnalyzedRun;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Path;

/** The options both analyze commands share: where the data and the device are. */
final class AnalyzeData {
    @Option(names = "--data-dir", description = "Folder of the dataset files, when it is not where the run was trained from (mnist, cifar10, cifar100)")
    Path dataDir;

    @Option(names = "--device", description = "auto, cpu, cuda or cuda:N (default: ${DEFAULT-VALUE})")
    String device = "auto";

    /** {@code option}'s run, its dataset files in --data-dir if given. */
    AnalyzedRun read(String option, Path given) {
        AnalyzedRun run = AnalyzedRun.read(option, given);
        return dataDir == null ? run : new AnalyzedRun(run.option(), run.given(), run.weights(), run.data().withDataDir(dataDir));
    }

    /** What a command does once its folder is locked, the data loaded and the backend open. */
    interface Work {
        void run(TrainTest data, Backend backend) throws IOException;
    }

    /**
     * Checks and locks {@code out}, loads {@code run}'s data (saying where its options came
     * from), opens the device, and runs {@code work}; the folder is created only by the work's
     * outputs, after everything else succeeded.
     */
    void inFolder(Path out, AnalyzedRun run, Work work) throws IOException {
        OutputFolder.checkUsable(out);
        try (FolderLock _ = FolderLock.acquire(out)) {
            System.out.println("data: " + run.data().source());
            TrainTest data = load(run.data());
            try (Backend backend = Backends.open(device, System.err)) {
                work.run(data, backend);
            }
        }
    }

    /** The run's splits as it trained on them (its sample limits), before the analysis takes its first N. */
    static TrainTest load(AnalyzedRun.Data d) {
        return Datasets.load(d.dataset(), d.dataDir(), d.seed(), d.trainSamples(), d.testSamples());
    }
}
