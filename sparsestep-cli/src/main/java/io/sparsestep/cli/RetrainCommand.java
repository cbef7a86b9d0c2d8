package io.sparsestep.cli;

import io.sparsestep.backend.Backend;
import io.sparsestep.data.Datasets;
import io.sparsestep.data.TrainTest;
import io.sparsestep.devices.Backends;
import io.sparsestep.nn.Architecture;
import io.sparsestep.train.FreshInit;
import io.sparsestep.train.RunConfig;
import io.sparsestep.train.RunSignals;
import io.sparsestep.train.TrainingRun;
import io.sparsestep.train.io.FolderLock;
import io.sparsestep.train.io.OutputFolder;
import io.sparsestep.train.retrain.RetrainMode;
import io.sparsestep.train.retrain.RetrainOptions;
import io.sparsestep.train.retrain.RetrainPlan;
import io.sparsestep.train.retrain.RetrainSource;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "retrain", mixinStandardHelpOptions = true,
        description = {"Train a pruned run's structure again (\"Rethinking the Value of Network Pruning\"): its architecture (what "
                + "`shrink` or --widths gave it) and its mask (mask.prune.* tensors, else the exact zeros of its conv/linear weights), the "
                + "mask held fixed. finetune: from the pruned weights, 40 epochs at lr 0.001; scratch-e: a fresh init, the pruned run's "
                + "epochs E at lr 0.1, x0.1 after 50%% and 75%%; scratch-b: the same for int(E * MACs_full / MACs_pruned) epochs.",
                "The data, limits, seed and E come from the pruned run's checkpoint (for a `shrink` output: the run it was shrunk "
                        + "from). Writes an ordinary run folder to --out, with the retrain's provenance under hyperparameters.retrain "
                        + "in summary.json."})
public final class RetrainCommand implements Callable<Integer> {
    /** Where a scratch mode's fresh initial weights are written (and read by --init-from). */
    static final String INIT_FILE = "init.safetensors";

    @Option(names = "--from", required = true, paramLabel = "RUN", description = "the pruned run: its --out folder (weights.safetensors and "
            + "checkpoint.safetensors), a `shrink` output folder, or such a weights file")
    Path from;

    @Option(names = "--mode", required = true, description = "finetune, scratch-e or scratch-b")
    String mode;

    @Option(names = "--out", description = "output folder (default: runs/<RUN's folder name>-<mode>)")
    Path out;

    @Option(names = "--epochs", description = "finetune only: epochs (default: 40, Rethinking's CIFAR fine-tune)")
    Integer epochs;

    @Option(names = "--base-epochs", description = "scratch-e/scratch-b: E, the large model's epochs (default: the pruned run's)")
    Integer baseEpochs;

    @Option(names = "--lr", description = "base learning rate (default: finetune 0.001, scratch modes 0.1, as Rethinking's CIFAR scripts)")
    Double lr;

    @Option(names = "--momentum", description = "momentum (default: 0.9)")
    Double momentum;

    @Option(names = "--weight-decay", description = "weight decay on conv/linear weights (default: 1e-4)")
    Double weightDecay;

    @Option(names = "--batch-size", description = "batch size (default: the pruned run's)")
    Integer batchSize;

    @Option(names = "--init-seed", description = "scratch modes: seed of the fresh initialisation (default: the pruned run's --seed + 1; "
            + "the data keep the run's seed)")
    Long initSeed;

    @Option(names = "--checkpoint-every", description = "checkpoint every N epochs (default: the pruned run's)")
    Integer checkpointEvery;

    @Option(names = "--device", description = "auto, cpu, cuda (GPU 0) or cuda:N (default: ${DEFAULT-VALUE})")
    String device = "auto";

    @Option(names = "--no-progress", description = "No progress bar")
    boolean noProgress;

    @Spec
    CommandSpec spec;

    /** Every input is checked (mode, the run's files, its recipe, the mask against the model, the options) before --out is touched. */
    @Override
    public Integer call() {
        RetrainMode m = RetrainMode.parse(mode);
        RetrainSource source = RetrainSource.resolve(from);
        Path dir = out != null ? out : Path.of("runs", from.toAbsolutePath().normalize().getFileName() + "-" + m.option());
        source.refuseAsOutput(dir);
        RunConfig recipe = TrainCommand.configFrom(source.recipeCheckpoint(), dir);
        String widths = source.widths(recipe.widths(), recipe.architecture());
        RetrainOptions options = new RetrainOptions(epochs, baseEpochs, lr, momentum, weightDecay, batchSize, initSeed, checkpointEvery,
                device, !noProgress);
        RetrainPlan plan = RetrainPlan.of(m, source.weights(), source.structure(), widths, recipe, source.recipe(), options, dir,
                dir.resolve(INIT_FILE).toAbsolutePath());
        run(plan, source.structure().architecture(), TrainCommand.commandLine(spec), plan.provenance());
        return 0;
    }

    /**
     * Runs {@code plan} (checked first, then --out probed and locked, the data loaded, a scratch
     * mode's fresh weights written) and records {@code provenance} in its summary.json.
     */
    static void run(RetrainPlan plan, Architecture arch, String commandLine, Map<String, Object> provenance) {
        RunConfig cfg = plan.config();
        TrainingRun.check(cfg);
        OutputFolder.checkUsable(cfg.out());
        try (FolderLock _ = FolderLock.acquire(cfg.out())) {
            TrainTest data = Datasets.load(cfg.dataset(), cfg.dataDir(), cfg.seed(), cfg.trainLimit(), cfg.testLimit());
            try (Backend backend = Backends.open(cfg.device(), System.err)) {
                if (plan.mode().fromScratch()) FreshInit.writeForRun(backend, arch, cfg, plan.initSeed());
                describe(plan, System.out);
                RunSignals.install();
                TrainCommand.report(cfg, TrainingRun.execute(cfg, data, backend, System.out, commandLine, io.sparsestep.train.RunHooks.summary(Map.of("retrain", provenance))), data);
            }
        }
    }

    /** "the model's own widths", or the layers whose widths differ from the model's: "widths conv2 50 -> 30, fc1 500 -> 400". */
    static String changedWidths(Architecture arch) {
        Map<String, Integer> own = Architecture.defaults(arch.model()).widths();
        String changed = arch.widths().entrySet().stream().filter(e -> !e.getValue().equals(own.get(e.getKey())))
                .map(e -> e.getKey() + " " + own.get(e.getKey()) + " -> " + e.getValue()).collect(java.util.stream.Collectors.joining(", "));
        return changed.isEmpty() ? "the model's own widths" : "widths " + changed;
    }

    /** What is retrained and how, before training starts. */
    static void describe(RetrainPlan plan, PrintStream log) {
        Map<String, Object> p = plan.provenance();
        RunConfig c = plan.config();
        long full = ((Number) p.get("macs_full")).longValue(), pruned = ((Number) p.get("macs_pruned")).longValue();
        log.printf(Locale.ROOT, "retrain %s of %s: %d epochs (%s), lr %s %s%s, init %s%n", plan.mode().option(), p.get("from"), c.epochs(),
                p.get("epochs_rule"), c.lr(), c.lrSchedule(), c.milestones().length == 0 ? "" : " x0.1 after epochs " + p.get("milestones"),
                p.get("init"));
        Map<?, ?> mask = (Map<?, ?>) p.get("mask");
        log.printf(Locale.ROOT, "  structure: %s; the mask prunes %.4f of the conv/linear weights (%s); multiply-adds per sample of the kept "
                        + "weights %,d full -> %,d (x%.3f); %,d parameters kept%n",
                changedWidths(c.architecture()), ((Number) mask.get("sparsity")).doubleValue(),
                mask.get("source"), full, pruned, (double) full / pruned, ((Number) p.get("parameters")).longValue());
    }
}
