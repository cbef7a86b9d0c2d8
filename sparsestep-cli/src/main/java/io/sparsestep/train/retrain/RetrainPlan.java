package io.sparsestep.train.retrain;

import io.sparsestep.data.Datasets;
import io.sparsestep.nn.Architecture;
import io.sparsestep.optim.FixedMaskSpec;
import io.sparsestep.optim.MomentumSettings;
import io.sparsestep.train.RunConfig;
import io.sparsestep.train.SparsityReport;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The training run that retrains a pruned structure ({@link Structure}), from the recipe of
 * the run it was pruned in ({@code recipe}: the data, its limits, augmentation, batch size,
 * seed and epochs E), by the rules of ALGORITHMS.md 8.1 (the Rethinking repo's CIFAR scripts
 * {@code main_finetune.py}, {@code main_E.py}, {@code main_B.py}):
 * <ul>
 * <li>every mode: momentum SGD under the structure's mask held fixed ({@link FixedMaskSpec}; none
 *     when the structure has no mask),
 *     momentum 0.9 and weight decay 1e-4 (on conv/linear weights only: ours; their
 *     {@code optim.SGD} also decays biases and batch norm);</li>
 * <li>finetune: from the pruned weights, 40 epochs at a constant lr 0.001;</li>
 * <li>scratch-e: a fresh initialisation ({@code initFile}, seed {@code --init-seed}, default the
 *     recipe's seed + 1), E epochs at lr 0.1, x0.1 after int(0.5 E) and int(0.75 E) epochs;</li>
 * <li>scratch-b: the same with {@link ScratchBudget#epochs} epochs, E_B = int(E * MACs_full /
 *     MACs_pruned), the full network being the model's own widths without a mask.</li>
 * </ul>
 * The data seed stays the recipe's, so every mode sees the same (synthetic) data and order.
 */
public record RetrainPlan(RetrainMode mode, RunConfig config, long initSeed, Map<String, Object> provenance) {
    public static final int FINETUNE_EPOCHS = 40;
    public static final double FINETUNE_LR = 0.001, SCRATCH_LR = 0.1, MOMENTUM = 0.9, WEIGHT_DECAY = 1e-4, GAMMA = 0.1;

    /**
     * The plan for {@code mode} on {@code structure}, whose weights (and mask) are in
     * {@code weights}; {@code widths} is the {@code --widths} value that names its architecture
     * (null for the model's own), {@code initFile} where a scratch mode's fresh weights go.
     */
    public static RetrainPlan of(RetrainMode mode, Path weights, Structure structure, String widths, RunConfig recipe, Path recipeFile,
                                 RetrainOptions o, Path out, Path initFile) {
        Architecture arch = structure.architecture();
        if (!arch.model().equals(recipe.model())) {
            throw new IllegalArgumentException(weights + " holds " + arch.model() + " but its recipe " + recipeFile + " trained " + recipe.model()
                    + "; pass the folder of one run (or what `sparsestep shrink` wrote from it)");
        }
        if (mode == RetrainMode.FINETUNE && o.baseEpochs() != null) {
            throw new IllegalArgumentException("--base-epochs is the large model's E of scratch-e and scratch-b; finetune takes --epochs");
        }
        if (mode.fromScratch() && o.epochs() != null) {
            throw new IllegalArgumentException("--epochs is finetune's count; " + mode.option() + " trains E (--base-epochs, default the "
                    + "pruned run's epochs)" + (mode == RetrainMode.SCRATCH_B ? " scaled by the FLOPs ratio" : ""));
        }
        if (o.baseEpochs() != null && o.baseEpochs() < 1) throw new IllegalArgumentException("--base-epochs must be >= 1, got " + o.baseEpochs());
        Datasets.Shape shape = Datasets.shape(recipe.dataset());
        long fullMacs = new Structure(Architecture.defaults(arch.model()), null).macs(shape), prunedMacs = structure.macs(shape);
        int base = o.baseEpochs() != null ? o.baseEpochs() : recipe.epochs();
        int epochs = switch (mode) {
            case FINETUNE -> o.epochs() != null ? o.epochs() : FINETUNE_EPOCHS;
            case SCRATCH_E -> base;
            case SCRATCH_B -> ScratchBudget.epochs(base, fullMacs, prunedMacs);
        };
        int[] milestones = mode.fromScratch() ? ScratchBudget.milestones(epochs) : new int[0];
        double lr = o.lr() != null ? o.lr() : mode.fromScratch() ? SCRATCH_LR : FINETUNE_LR;
        MomentumSettings sgd = new MomentumSettings(lr, o.momentum() != null ? o.momentum() : MOMENTUM,
                o.weightDecay() != null ? o.weightDecay() : WEIGHT_DECAY, false);
        long initSeed = o.initSeed() != null ? o.initSeed() : recipe.seed() + 1;
        RunConfig cfg = new RunConfig(arch.model(), recipe.dataset(), recipe.dataDir(), new FixedMaskSpec(sgd, structure.mask() == null ? "" : weights.toString()), epochs,
                o.batchSize() != null ? o.batchSize() : recipe.batchSize(), mode.fromScratch() ? "step" : "constant", milestones, GAMMA,
                recipe.seed(), o.device(), out, recipe.trainLimit(), recipe.testLimit(), o.progress(), recipe.augment(),
                o.checkpointEvery() != null ? o.checkpointEvery() : recipe.checkpointEvery(), mode.fromScratch() ? initFile : weights, widths,
                // the recipe's data settings, its last batch with them; batch norm's recompute is the retrain method's default
                null, recipe.lastBatch());

        Map<String, Object> p = new LinkedHashMap<>();
        p.put("mode", mode.option());
        p.put("from", weights.toAbsolutePath().toString());
        p.put("recipe_from", recipeFile.toAbsolutePath().toString());
        p.put("epochs", epochs);
        p.put("epochs_rule", switch (mode) {
            case FINETUNE -> o.epochs() != null ? "--epochs" : "Rethinking's CIFAR fine-tune, 40 epochs";
            case SCRATCH_E -> "E, the " + (o.baseEpochs() != null ? "--base-epochs" : "pruned run's epochs");
            case SCRATCH_B -> "int(E * MACs_full / MACs_pruned), E the " + (o.baseEpochs() != null ? "--base-epochs" : "pruned run's epochs");
        });
        if (mode.fromScratch()) p.put("base_epochs", base);
        p.put("milestones", Arrays.stream(milestones).boxed().toList());
        p.put("init", mode.fromScratch() ? "fresh, seed " + initSeed + " (" + initFile.getFileName() + ")" : "the pruned weights");
        p.put("architecture", arch.isDefault() ? "the model's own widths" : arch.widths());
        Map<String, Object> mask = new LinkedHashMap<>();
        mask.put("source", structure.mask() == null ? "none (every weight kept)"
                : structure.mask().source() == SparsityReport.Source.MASK ? "mask.prune.* tensors" : "exact zeros of the weights");
        mask.put("sparsity", structure.maskSparsity());
        mask.put("kept", structure.mask() == null ? null : structure.mask().kept());
        mask.put("counts", "conv/linear weights");
        p.put("mask", mask);
        p.put("macs_full", fullMacs);
        p.put("macs_pruned", prunedMacs);
        p.put("macs_rule", "multiply-adds per sample of the conv/linear layers, counting only kept (mask) weights; FLOPs = 2 x MACs");
        p.put("parameters", structure.parameters(shape));
        return new RetrainPlan(mode, cfg, initSeed, p);
    }
}
