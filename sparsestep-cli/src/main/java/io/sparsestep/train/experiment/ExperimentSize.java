package io.sparsestep.train.experiment;

import java.util.List;
import java.util.Locale;

/**
 * How large one prune-retrain experiment is: the data (a synthetic set, generated to these
 * counts), the IMP rounds, the epochs of the methods whose masks are compared, gRDA's
 * {@code c}, and for ResNet-20 the L1 filter pruning run and its fine-tuning. The presets are
 * sized for the two shared CPU cores this project is developed on: {@code tiny} for the tests
 * (seconds), {@code small} the default, a measured ~3-5 minutes for LeNet-300-100 and ~10-15
 * for ResNet-20 (docs/EXPERIMENTS.md). {@code l1Epochs} is 0 where the model has no Rethinking
 * part (LeNet-300-100 has no conv filters to prune).
 */
public record ExperimentSize(String name, String dataset, int trainSamples, int testSamples, int batchSize, int impRounds, int impEpochs,
                             double impFraction, int methodEpochs, double grdaC, int l1Epochs, int l1PruneEpoch, double l1Ratio,
                             int finetuneEpochs) {
    public static final List<String> MODELS = List.of("lenet300", "resnet20");
    public static final List<String> NAMES = List.of("tiny", "small");

    public ExperimentSize {
        if (impRounds < 2) throw new IllegalArgumentException("an experiment needs at least 2 IMP rounds (one prune), got " + impRounds);
        if (l1Epochs > 0 && !(l1PruneEpoch >= 1 && l1PruneEpoch < l1Epochs)) {
            throw new IllegalArgumentException("the L1 run prunes after epoch " + l1PruneEpoch + " of " + l1Epochs + "; it must leave epochs on both sides");
        }
    }

    /** The preset {@code name} of {@code model}; an unknown one is refused naming the known ones. */
    public static ExperimentSize of(String model, String name) {
        if (!MODELS.contains(model)) {
            throw new IllegalArgumentException("--model " + model + ": the prune-retrain experiment is defined for " + String.join(" and ", MODELS)
                    + " (synth-digits and synth-cifar); run the single commands (imp, compare, retrain) for other models");
        }
        if (!NAMES.contains(name)) throw new IllegalArgumentException("--size " + name + " is not a size; use one of " + String.join(", ", NAMES));
        boolean lenet = model.equals("lenet300"), tiny = name.equals("tiny");
        if (lenet) {
            // 3 epochs a round as docs/EXPERIMENTS.md's "Iterative pruning" on a third of the demo's images
            return tiny ? new ExperimentSize(name, "synth-digits", 300, 100, 100, 3, 1, 0.5, 3, 0.02, 0, 0, 0, 0)
                    : new ExperimentSize(name, "synth-digits", 20_000, 5_000, 128, 5, 3, 0.5, 15, 0.02, 0, 0, 0, 0);
        }
        return tiny ? new ExperimentSize(name, "synth-cifar", 32, 16, 16, 2, 1, 0.5, 1, 0.1, 2, 1, 0.5, 1)
                : new ExperimentSize(name, "synth-cifar", 500, 250, 50, 3, 2, 0.5, 4, 0.1, 4, 2, 0.5, 2);
    }

    /** Whether the experiment has its Rethinking part (L1 filter pruning, then fine-tune, Scratch-E, Scratch-B). */
    public boolean hasRetrain() { return l1Epochs > 0; }

    /** The sparsity IMP's last round reaches by its rule: 1 - (1 - f)^(rounds - 1), up to torch's rounding per layer and round. */
    public double impTarget() { return 1 - Math.pow(1 - impFraction, impRounds - 1); }

    /** The steps of a run of {@code epochs} on this data: epochs x ceil(train / batch). */
    public long steps(int epochs) { return (long) epochs * ((trainSamples + batchSize - 1) / batchSize); }

    /** GMP's mask updates: every steps/20 (at least 1), so a short run updates about 15 times before 3/4 of it. */
    public long gmpFrequency() { return Math.max(1, steps(methodEpochs) / 20); }

    public String describe() {
        String s = String.format(Locale.ROOT, "%s: %,d / %,d %s images, batch %d; IMP %d rounds of %d epochs at --fraction %s; gRDA (c %s), GSM "
                        + "and GMP %d epochs", name, trainSamples, testSamples, dataset, batchSize, impRounds, impEpochs, impFraction, grdaC,
                methodEpochs);
        return hasRetrain() ? s + String.format(Locale.ROOT, "; L1 filter pruning %d epochs (pruned after %d, --ratio %s), fine-tune %d epochs",
                l1Epochs, l1PruneEpoch, l1Ratio, finetuneEpochs) : s;
    }
}
