package io.sparsestep.train.retrain;

import io.sparsestep.data.Datasets;
import io.sparsestep.nn.Architecture;
import io.sparsestep.optim.FixedMaskSpec;
import io.sparsestep.optim.LrSchedule;
import io.sparsestep.optim.SgdSpec;
import io.sparsestep.train.RunConfig;
import io.sparsestep.train.SparsityReport;
import io.sparsestep.train.masks.LayerMask;
import io.sparsestep.train.masks.RunMask;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The plan {@code retrain} runs (the command calls {@link RetrainPlan#of} with what it read):
 * Scratch-B's epochs and lr drops on Li et al.'s presets for E = 160 (ALGORITHMS.md 8.2's
 * golden 243/178/220), each mode's recipe, and the kept-weight multiply-adds of a mask
 * against a hand count.
 */
class RetrainPlanTest {
    private static final Path WEIGHTS = Path.of("/runs/pruned/weights.safetensors").toAbsolutePath();
    private static final Path RECIPE = Path.of("/runs/pruned/checkpoint.safetensors").toAbsolutePath();
    private static final Path INIT = Path.of("/runs/out/init.safetensors").toAbsolutePath();

    /** The large model's run: 160 epochs on CIFAR-shaped data, as Rethinking's CIFAR recipe. */
    private static RunConfig recipe(String model, int epochs) {
        return new RunConfig(model, "synth-cifar", null, SgdSpec.METHOD.parse(Map.of()), epochs, 64, "constant", new int[0], 0.1, 7, "cpu",
                Path.of("/runs/pruned"), 500, 100, false, null, 1, null, null);
    }

    private static RunConfig withLastBatch(RunConfig r, String lastBatch) {
        return new RunConfig(r.model(), r.dataset(), r.dataDir(), r.method(), r.epochs(), r.batchSize(), r.lrSchedule(), r.milestones(),
                r.gamma(), r.seed(), r.device(), r.out(), r.trainLimit(), r.testLimit(), r.progress(), r.augment(), r.checkpointEvery(),
                r.initFrom(), r.widths(), r.bnRecalibrate(), lastBatch);
    }

    private static RetrainPlan plan(RetrainMode mode, Structure s, RetrainOptions o) {
        return RetrainPlan.of(mode, WEIGHTS, s, "unused", recipe(s.architecture().model(), 160), RECIPE, o, Path.of("/runs/out"), INIT);
    }

    private static RetrainPlan scratchB(String preset) {
        return plan(RetrainMode.SCRATCH_B, new Structure(Architecture.preset(preset), null), RetrainOptions.defaults("cpu"));
    }

    @Test
    void scratchBTrainsTheGoldenEpochsOnLiEtAlsPresets() {
        assertEquals(243, scratchB("vgg16-a").config().epochs());
        assertEquals(178, scratchB("resnet56-a").config().epochs());
        assertEquals(220, scratchB("resnet56-b").config().epochs());
        assertArrayEquals(new int[] {121, 182}, scratchB("vgg16-a").config().milestones());
        assertArrayEquals(new int[] {89, 133}, scratchB("resnet56-a").config().milestones());
        assertArrayEquals(new int[] {110, 165}, scratchB("resnet56-b").config().milestones());
    }

    @Test
    void theScratchScheduleDropsTenfoldAtHalfAndThreeQuartersOfItsEpochs() {
        RunConfig c = scratchB("vgg16-a").config();
        assertEquals("step", c.lrSchedule());
        LrSchedule s = LrSchedule.parse(c.lrSchedule(), c.epochs(), c.milestones(), c.gamma());
        int steps = 10;
        assertEquals(1.0, s.factor(120L * steps + steps - 1, steps));
        assertEquals(0.1, s.factor(121L * steps, steps), 1e-12, "the first epoch after int(0.5 * 243) = 121");
        assertEquals(0.1, s.factor(181L * steps + steps - 1, steps), 1e-12);
        assertEquals(0.01, s.factor(182L * steps, steps), 1e-12, "the first epoch after int(0.75 * 243) = 182");
        assertEquals(0.01, s.factor(242L * steps, steps), 1e-12);
    }

    @Test
    void eachModeHasRethinkingsRecipe() {
        Structure s = new Structure(Architecture.preset("resnet56-a"), null);
        RunConfig fine = plan(RetrainMode.FINETUNE, s, RetrainOptions.defaults("cpu")).config();
        assertEquals(40, fine.epochs());
        assertEquals(0.001, fine.lr());
        assertEquals("constant", fine.lrSchedule());
        assertEquals(WEIGHTS, fine.initFrom(), "finetune starts from the pruned weights");
        RetrainPlan e = plan(RetrainMode.SCRATCH_E, s, RetrainOptions.defaults("cpu"));
        assertEquals(160, e.config().epochs());
        assertArrayEquals(new int[] {80, 120}, e.config().milestones());
        assertEquals(0.1, e.config().lr());
        assertEquals(INIT, e.config().initFrom(), "scratch starts from the fresh weights");
        assertEquals(8, e.initSeed(), "a fresh init: not the pruned run's own seed");
        for (RetrainPlan p : List.of(e, scratchB("resnet56-a"))) {
            RunConfig c = p.config();
            assertEquals(7, c.seed(), "the data keep the recipe's seed");
            assertEquals(64, c.batchSize());
            assertEquals(500, c.trainLimit());
            FixedMaskSpec f = (FixedMaskSpec) c.method();
            assertEquals(0.9, f.sgd().momentum());
            assertEquals(1e-4, f.sgd().weightDecay());
            assertEquals("", f.maskFrom(), "an architecture alone: no mask to hold");
        }
        RunConfig dropping = RetrainPlan.of(RetrainMode.SCRATCH_E, WEIGHTS, s, "unused", withLastBatch(recipe("resnet56", 160), "drop"), RECIPE,
                RetrainOptions.defaults("cpu"), Path.of("/runs/out"), INIT).config();
        assertTrue(dropping.dropsPartialLastBatch(), "the recipe's --last-batch drop goes with its other data settings");
        assertFalse(fine.dropsPartialLastBatch(), "a recipe that trained its last batch");
        assertEquals(160, scratchB("resnet56-a").provenance().get("base_epochs"));
        assertEquals(178, scratchB("resnet56-a").provenance().get("epochs"));
    }

    @Test
    void optionsOverrideTheRecipeAndOfTheOtherModeAreRefused() {
        Structure s = new Structure(Architecture.preset("resnet56-b"), null);
        RetrainOptions o = new RetrainOptions(null, 10, 0.05, 0.8, 0.0, 32, 99L, 2, "cpu", false);
        RetrainPlan b = plan(RetrainMode.SCRATCH_B, s, o);
        assertEquals(13, b.config().epochs(), "int(10 * 125,747,840 / 91,169,408)");
        assertEquals(0.05, b.config().lr());
        assertEquals(32, b.config().batchSize());
        assertEquals(99, b.initSeed());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> plan(RetrainMode.FINETUNE, s, o)).getMessage().startsWith("--base-epochs"));
        RetrainOptions epochs = new RetrainOptions(5, null, null, null, null, null, null, null, "cpu", false);
        assertTrue(assertThrows(IllegalArgumentException.class, () -> plan(RetrainMode.SCRATCH_E, s, epochs)).getMessage().startsWith("--epochs"));
        assertEquals(5, plan(RetrainMode.FINETUNE, s, epochs).config().epochs());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> RetrainMode.parse("scratch")).getMessage()
                .contains("finetune, scratch-e, scratch-b"));
    }

    /** lenet5 on 28x28: conv1 [20,1,5,5] makes 24x24 outputs, conv2 [50,20,5,5] 8x8, fc1 [500,800], fc2 [10,500]. */
    @Test
    void aMaskCostsTheMultiplyAddsOfItsKeptWeights() {
        Architecture arch = Architecture.defaults("lenet5");
        Map<String, Integer> kept = Map.of("conv1.weight", 10, "conv2.weight", 1000, "fc1.weight", 4000, "fc2.weight", 5000);
        Map<String, int[]> shapes = new LinkedHashMap<>();
        shapes.put("conv1.weight", new int[] {20, 1, 5, 5});
        shapes.put("conv2.weight", new int[] {50, 20, 5, 5});
        shapes.put("fc1.weight", new int[] {500, 800});
        shapes.put("fc2.weight", new int[] {10, 500});
        List<LayerMask> layers = new ArrayList<>();
        shapes.forEach((name, shape) -> {
            BitSet b = new BitSet();
            b.set(0, kept.get(name));
            layers.add(new LayerMask(name, shape, b));
        });
        RunMask mask = new RunMask("hand", WEIGHTS, SparsityReport.Source.MASK, Map.of(), layers);
        Datasets.Shape digits = Datasets.shape("synth-digits");
        Structure s = new Structure(arch, mask);
        assertEquals(10L * 576 + 1000L * 64 + 4000 + 5000, s.macs(digits));
        // all parameters 431,080 less the pruned weights
        long pruned = 500 - 10 + 25_000 - 1000 + 400_000 - 4000 + 5000 - 5000;
        assertEquals(431_080 - pruned, s.parameters(digits));
        assertEquals(new Structure(arch, null).macs(digits), 288_000L + 1_600_000 + 400_000 + 5_000, "no mask: ModelCost's count");
        assertNull(new Structure(arch, null).mask());
        // E = 3: int(3 * 2,293,000 / 78,760) = int(87.3) = 87
        RetrainPlan b = RetrainPlan.of(RetrainMode.SCRATCH_B, WEIGHTS, s, null, recipeOn("lenet5", 3), RECIPE, RetrainOptions.defaults("cpu"),
                Path.of("/runs/out"), INIT);
        assertEquals(87, b.config().epochs());
        assertEquals(WEIGHTS.toString(), ((FixedMaskSpec) b.config().method()).maskFrom(), "the mask is held from the pruned weights");
    }

    private static RunConfig recipeOn(String model, int epochs) {
        return new RunConfig(model, "synth-digits", null, SgdSpec.METHOD.parse(Map.of()), epochs, 64, "constant", new int[0], 0.1, 7, "cpu",
                Path.of("/runs/pruned"), 500, 100, false, null, 1, null, null);
    }

    @Test
    void aStructureOfAnotherModelThanItsRecipeIsRefused() {
        Structure s = new Structure(Architecture.defaults("lenet5"), null);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> RetrainPlan.of(RetrainMode.SCRATCH_E, WEIGHTS, s, null,
                recipeOn("lenet300", 3), RECIPE, RetrainOptions.defaults("cpu"), Path.of("/runs/out"), INIT));
        assertTrue(e.getMessage().contains("holds lenet5 but its recipe"), e.getMessage());
    }
}
