package io.sparsestep.train.experiment;

import io.sparsestep.data.Datasets;
import io.sparsestep.nn.Architecture;
import io.sparsestep.nn.ModelGraph;
import io.sparsestep.nn.Models;
import io.sparsestep.optim.ImpRule;
import io.sparsestep.optim.MethodSpec;
import io.sparsestep.optim.Methods;
import io.sparsestep.optim.PruneScope;
import io.sparsestep.train.RunConfig;
import io.sparsestep.train.imp.ImpConfig;
import io.sparsestep.train.imp.ImpReset;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Every run of one prune-retrain experiment (issue 13's acceptance), as ordinary run configs
 * in sub-folders of {@code out}:
 * <ul>
 * <li>{@code imp-rewind/}, {@code imp-reinit/}: IMP runs with one rule (L1, unstructured, per
 *     layer, {@code impFraction} of the remaining each round) and round 0 alike, resetting to
 *     round 0's initial weights or to a fresh initialisation;</li>
 * <li>{@code masks/grda}, {@code masks/gsm}, {@code masks/gmp}: the methods whose masks are
 *     compared with IMP's last one, at its nominal sparsity {@link ExperimentSize#impTarget}:
 *     GSM keeps {@code --ratio} = 1 - target (of all conv/linear weights), GMP prunes every
 *     layer to {@code --final-sparsity} = target; gRDA's sparsity follows its {@code c} and the
 *     run, so it is reported as it comes out, next to the others';</li>
 * <li>ResNet-20 only, {@code rethinking/l1}: L1 filter pruning of the first conv of every block
 *     (Li et al.'s ResNet rule: the stem, the block outputs and the projections, whose widths
 *     residual sums tie, are skipped), shrunk into {@code rethinking/l1-small}, then retrained in
 *     {@code rethinking/finetune}, {@code scratch-e} and {@code scratch-b}.</li>
 * </ul>
 * Every run uses the same data, seed and batch size; each method its own recipe otherwise.
 */
public record PruneRetrainPlan(String model, ExperimentSize size, long seed, String device, Path out, boolean progress) {
    public static final List<String> RESETS = List.of("rewind", "reinit");
    public static final List<String> MASK_METHODS = List.of("grda", "gsm", "gmp");
    public static final List<String> RETRAIN_MODES = List.of("finetune", "scratch-e", "scratch-b");

    /** The experiment's identity in experiment.json: what must match for a rerun to reuse its parts. */
    public List<String> identity() {
        return List.of("--model", model, "--size", size.name(), "--seed", Long.toString(seed));
    }

    /** IMP with {@code reset} ("rewind" or "reinit") into {@code out/imp-<reset>}. */
    public ImpConfig imp(String reset) {
        MethodSpec trainer = Methods.parse("magnitude", Map.of("--sparsity", "0", "--prune-epoch", "0"));
        ImpRule rule = new ImpRule(ImpRule.Criterion.L1, ImpRule.Structure.UNSTRUCTURED, PruneScope.LAYER, size.impFraction(), 1);
        return new ImpConfig(run(trainer, size.impEpochs(), out.resolve("imp-" + reset)), rule, ImpReset.parse(List.of(reset)), size.impRounds());
    }

    /** The folder of IMP's last round with {@code reset}: the mask compared with the methods'. */
    public Path impLastRound(String reset) { return imp(reset).roundDir(size.impRounds() - 1); }

    /** gRDA, GSM and GMP at IMP's nominal target (see the class comment), each in {@code out/masks/<method>}. */
    public List<RunConfig> maskMethods() {
        double target = size.impTarget();
        Map<String, Map<String, String>> options = new LinkedHashMap<>();
        options.put("grda", Map.of("--c", Double.toString(size.grdaC())));
        options.put("gsm", Map.of("--ratio", Double.toString(1 - target)));
        options.put("gmp", Map.of("--final-sparsity", Double.toString(target), "--frequency", Long.toString(size.gmpFrequency())));
        List<RunConfig> runs = new ArrayList<>();
        options.forEach((id, o) -> runs.add(run(Methods.parse(id, o), size.methodEpochs(), out.resolve("masks").resolve(id))));
        return runs;
    }

    /** ResNet-20's L1 filter pruning run ({@code out/rethinking/l1}): the structure the three retrains start from. */
    public RunConfig l1Filter() {
        if (!size.hasRetrain()) throw new IllegalStateException(model + " has no Rethinking part in this experiment");
        MethodSpec l1 = Methods.parse("l1-filter", Map.of("--ratio", Double.toString(size.l1Ratio()), "--prune-epoch",
                Integer.toString(size.l1PruneEpoch()), "--skip", String.join(",", l1Skip(model, size.dataset()))));
        return run(l1, size.l1Epochs(), rethinking().resolve("l1"));
    }

    /** Where the shrunk L1 run goes. */
    public Path shrunk() { return rethinking().resolve("l1-small"); }

    /** A retrain's folder. */
    public Path retrain(String mode) { return rethinking().resolve(mode); }

    private Path rethinking() { return out.resolve("rethinking"); }

    /**
     * Li et al.'s ResNet rule (ALGORITHMS.md 8.2): only the first conv of each basic block is
     * pruned, so every other conv layer (the stem, each block's second conv, the projection
     * shortcuts) is skipped; in network order.
     */
    static List<String> l1Skip(String model, String dataset) {
        Datasets.Shape shape = Datasets.shape(dataset);
        ModelGraph graph = ModelGraph.of(Models.create(Architecture.defaults(model), shape.input(), shape.classes()), shape.input());
        return graph.weighted().stream().filter(w -> w.weightShape().length == 4).map(ModelGraph.Weighted::name)
                .filter(n -> !n.endsWith(".branch.conv1")).collect(Collectors.toList());
    }

    private RunConfig run(MethodSpec method, int epochs, Path dir) {
        return new RunConfig(model, size.dataset(), null, method, epochs, size.batchSize(), "constant", new int[0], 0.1, seed, device, dir,
                size.trainSamples(), size.testSamples(), progress, null, 1, null, null);
    }

    /** One line for the console and experiment.md. */
    public String describe() {
        return String.format(Locale.ROOT, "prune-retrain experiment: %s, seed %d, size %s; outputs in %s", model, seed, size.describe(), out);
    }
}
