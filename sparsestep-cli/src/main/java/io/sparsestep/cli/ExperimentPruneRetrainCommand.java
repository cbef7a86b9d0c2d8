package io.sparsestep.cli;

import io.sparsestep.backend.Backend;
import io.sparsestep.data.TrainTest;
import io.sparsestep.devices.Backends;
import io.sparsestep.train.RunSignals;
import io.sparsestep.train.RunStoppedException;
import io.sparsestep.train.experiment.ExperimentReport;
import io.sparsestep.train.experiment.ExperimentSize;
import io.sparsestep.train.experiment.PruneRetrainExperiment;
import io.sparsestep.train.experiment.PruneRetrainPlan;
import io.sparsestep.train.io.FolderLock;
import io.sparsestep.train.io.OutputFolder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.Callable;

@Command(name = "prune-retrain", mixinStandardHelpOptions = true,
        description = {"Issue 13's acceptance in one command: (a) IMP with rewinding vs reinitialisation (accuracy vs sparsity per round), "
                + "(b) the masks of gRDA, GSM, GMP and IMP at IMP's sparsity (Jaccard index and its chance level), and for resnet20 "
                + "(c) L1 filter pruning, shrink, then fine-tune vs Scratch-E vs Scratch-B.",
                "Every run is an ordinary run folder under --out (imp-rewind, imp-reinit, masks/<method>, rethinking/<run>); run the same "
                        + "command again after a kill or a stop, finished runs are kept and the interrupted one resumes. Writes "
                        + "experiment.md (all tables), experiment.json, imp.png, masks.png and (resnet20) retrain.png to --out."})
public final class ExperimentPruneRetrainCommand implements Callable<Integer> {
    @Option(names = "--model", description = "lenet300 (on synth-digits) or resnet20 (on synth-cifar) (default: ${DEFAULT-VALUE})")
    String model = "lenet300";

    @Option(names = "--size", description = "tiny (seconds, for tests) or small (the documented 2-core size) (default: ${DEFAULT-VALUE})")
    String size = "small";

    @Option(names = "--seed", description = "Seed of every run: weights, data order, synthetic data (default: ${DEFAULT-VALUE})")
    long seed = 1;

    @Option(names = "--out", description = "Output directory (default: runs/experiment-<model>-<size>)")
    Path out;

    @Option(names = "--device", description = "auto, cpu, cuda (GPU 0) or cuda:N (default: ${DEFAULT-VALUE})")
    String device = "auto";

    @Option(names = "--no-progress", description = "No progress bar")
    boolean noProgress;

    @Spec
    CommandSpec spec;

    /** Every option and run checked, then --out (its lock, an experiment of other options), then the data and the backend. */
    @Override
    public Integer call() throws IOException {
        ExperimentSize s = ExperimentSize.of(model, size);
        Path dir = out != null ? out : Path.of("runs", "experiment-" + model + "-" + size);
        PruneRetrainPlan plan = new PruneRetrainPlan(model, s, seed, device, dir, !noProgress);
        Backends.checkDevice(device);
        OutputFolder.checkUsable(dir);
        try (FolderLock _ = FolderLock.acquire(dir)) {
            ExperimentReport.conflict(plan).ifPresent(why -> {
                throw new IllegalArgumentException(why + "; choose another --out, or delete it to start over");
            });
            PruneRetrainExperiment.check(plan);
            String commandLine = TrainCommand.commandLine(spec);
            System.out.println(plan.describe());
            TrainTest data = PruneRetrainExperiment.data(plan);
            long start = System.nanoTime();
            try (Backend backend = Backends.open(device, System.err)) {
                OutputFolder.clearPrevious(dir, ExperimentReport.RESULT_FILES);
                ExperimentReport.started(plan, commandLine);
                RunSignals.install();
                PruneRetrainExperiment.Result r = PruneRetrainExperiment.run(plan, data, backend, System.out, commandLine);
                String md = ExperimentReport.finished(plan, r, backend.description(), commandLine, (System.nanoTime() - start) / 1e9);
                System.out.println();
                System.out.print(md);
                System.out.println("outputs: " + dir.resolve(ExperimentReport.MARKDOWN) + ", " + dir.resolve(ExperimentReport.JSON) + ", the charts "
                        + String.join(", ", s.hasRetrain() ? ExperimentReport.RESULT_FILES.subList(1, 4) : ExperimentReport.RESULT_FILES.subList(1, 3))
                        + " beside them; every run in its folder under " + dir);
            } catch (RunStoppedException stopped) {
                System.out.println("experiment: stopped; run the same command again to continue (finished runs are kept, the interrupted "
                        + "one resumes from its checkpoint)");
                throw stopped;
            }
        }
        return 0;
    }
}
