package io.sparsestep.cli;

import io.sparsestep.backend.Backend;
import io.sparsestep.data.Datasets;
import io.sparsestep.data.TrainTest;
import io.sparsestep.devices.Backends;
import io.sparsestep.optim.ImpRule;
import io.sparsestep.optim.MethodSpec;
import io.sparsestep.optim.Methods;
import io.sparsestep.optim.PruneScope;
import io.sparsestep.train.RunSignals;
import io.sparsestep.train.RunStoppedException;
import io.sparsestep.train.TrainingRun;
import io.sparsestep.train.imp.ImpConfig;
import io.sparsestep.train.imp.ImpReport;
import io.sparsestep.train.imp.ImpReset;
import io.sparsestep.train.imp.ImpRound;
import io.sparsestep.train.imp.ImpRun;
import io.sparsestep.train.io.FolderLock;
import io.sparsestep.train.io.OutputFolder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "imp", mixinStandardHelpOptions = true,
        description = "Iterative pruning: round 0 trains densely; each later round prunes --fraction of the remaining conv/linear "
                + "weights of the round before (--criterion, --structure, --scope), resets the weights (--reset) and trains again with "
                + "the mask fixed. Each round is a train run in --out/round-NN (weights.safetensors with mask.prune.*, summary.json, "
                + "metrics.csv, checkpoint); imp.csv, imp.json and imp.png in --out list the rounds. Run again after a kill or a stop, "
                + "it keeps the finished rounds and resumes the interrupted one; with a larger --rounds it adds rounds.")
public final class ImpCommand implements Callable<Integer> {
    @Option(names = "--model", description = "lenet300, lenet5, vgg16, resnet20, resnet56, wrn28-K (required unless --widths names the model)")
    String model;

    @Option(names = "--out", description = "Output directory (default: runs/imp-<model>-<dataset>)")
    Path out;

    @Option(names = "--rounds", description = "Rounds, round 0 (dense) included: N rounds prune N - 1 times (default: ${DEFAULT-VALUE})")
    int rounds = 5;

    @Option(names = "--fraction", description = "Share of the remaining weights (or filters) pruned each round, in (0, 1); "
            + "k = round_half_even(fraction x remaining), torch's rounding (default: ${DEFAULT-VALUE})")
    double fraction = 0.2;

    @Option(names = "--criterion", description = "l1 (the trained |w|) or random (a seeded uniform score per weight) (default: ${DEFAULT-VALUE})")
    String criterion = "l1";

    @Option(names = "--structure", description = "unstructured (single weights) or filters (whole conv filters / linear rows by their "
            + "--norm norm, every layer but the classifier) (default: ${DEFAULT-VALUE})")
    String structure = "unstructured";

    @Option(names = "--scope", description = "layer (each layer prunes --fraction of its remaining) or global (one ranking over all "
            + "conv/linear weights; unstructured only) (default: ${DEFAULT-VALUE})")
    String scope = "layer";

    @Option(names = "--norm", description = "--structure filters: the Ln norm a filter is ranked by, n > 0 (default: ${DEFAULT-VALUE})")
    double norm = 1;

    @Option(names = "--reset", arity = "1..2", paramLabel = "rewind|rewind-to K|reinit|continue",
            description = "What every round after the first starts from: rewind (round 0's initial weights), rewind-to K (round 0's "
                    + "weights after K training iterations), reinit (a fresh initialisation from a seed derived from the round) or "
                    + "continue (the previous round's trained weights) (default: rewind)")
    List<String> reset;

    @Mixin
    TrainOptions opts = new TrainOptions();

    @Spec
    CommandSpec spec;

    /** The options of the rounds' optimizer, registered from the method registry (one-shot magnitude's: momentum SGD under a mask). */
    static final List<String> TRAINER_OPTIONS = List.of("--lr", "--momentum", "--weight-decay", "--nesterov");

    /** In the order of {@code train}: every option, the folder (its lock, an IMP run of another configuration), the data, the backend. */
    @Override
    public Integer call() {
        ImpConfig cfg = config();
        for (int r = 0; r < Math.min(cfg.rounds(), 2); r++) TrainingRun.check(cfg.round(r));
        OutputFolder.checkUsable(cfg.out());
        try (FolderLock _ = FolderLock.acquire(cfg.out())) {
            ImpReport.conflict(cfg).ifPresent(why -> {
                throw new IllegalArgumentException(why + "; choose another --out, or delete it to start over");
            });
            TrainTest data = Datasets.load(cfg.base().dataset(), cfg.base().dataDir(), cfg.base().seed(), cfg.base().trainLimit(),
                    cfg.base().testLimit());
            cfg.checkAgainst(data);
            System.out.printf(Locale.ROOT, "imp: %s on %s (%d train / %d test images), %d rounds, --fraction %s of the remaining, "
                            + "--criterion %s, --structure %s, --scope %s, --reset %s; outputs in %s%n", cfg.base().model(), cfg.base().dataset(),
                    data.train().count(), data.test().count(), cfg.rounds(), cfg.rule().fraction(), cfg.rule().criterion().option(),
                    cfg.rule().structure().option(), cfg.rule().scope().option(), cfg.reset(), cfg.out());
            try (Backend backend = Backends.open(cfg.base().device(), System.err)) {
                RunSignals.install();
                List<ImpRound> done = ImpRun.run(cfg, data, backend, System.out, TrainCommand.commandLine(spec));
                System.out.println();
                System.out.print(ImpReport.table(done));
                System.out.println("outputs: " + cfg.out().resolve(ImpReport.CSV) + ", " + cfg.out().resolve(ImpReport.JSON) + ", "
                        + cfg.out().resolve(ImpReport.PNG) + "; each round in " + cfg.out().resolve("round-NN"));
            } catch (RunStoppedException stopped) {
                System.out.println("imp: stopped; run the same command again to continue (finished rounds are kept, the interrupted one "
                        + "resumes from its checkpoint)");
                throw stopped;
            }
        }
        return 0;
    }

    /** The IMP run this command line asks for; every rule checked before anything is touched. */
    ImpConfig config() {
        ImpRule rule = new ImpRule(ImpRule.Criterion.of(criterion), ImpRule.Structure.of(structure), PruneScope.of(scope), fraction, norm);
        ImpReset resetRule = ImpReset.parse(reset);
        Map<String, String> given = new LinkedHashMap<>(MethodOptions.given(spec.commandLine().getParseResult()));
        given.keySet().retainAll(TRAINER_OPTIONS);
        // momentum SGD with the round's mask held fixed: magnitude pruning that removes nothing
        given.put("--sparsity", "0");
        given.put("--prune-epoch", "0");
        MethodSpec trainer = Methods.parse("magnitude", given);
        String m = TrainCommand.modelOf(model, opts.widths);
        Path dir = out != null ? out : Path.of("runs", "imp-" + m + "-" + opts.dataset);
        return new ImpConfig(TrainCommand.config(opts, m, trainer, dir), rule, resetRule, rounds);
    }
}
