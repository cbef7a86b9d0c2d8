package io.sparsestep.djl;

import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.training.Trainer;
import ai.djl.training.tracker.Tracker;
import io.sparsestep.optim.NonFiniteGradientException;
import io.sparsestep.optim.PruneScope;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A refused update leaves the optimizer as it was: a save after the refusal is the save
 * before it, byte for byte, and DJL's weights did not move. Covers a whole step refused at
 * its last weight (a NaN score), on a later step and on the very first one (no state may be
 * left behind), a weight arriving twice, and the settings refused before training: GSM's
 * {@code Q = floor(ratio * N) < 1} when the optimizer is built on an initialized block, or at
 * the first update when the block is initialized by the trainer.
 */
class FailedUpdateTest {
    private static final float LR = 0.125f;

    @Test
    void aNanScoreRefusesTheWholeStepAndCountsNothing() throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            Block block = mlp(manager);
            SparsestepOptimizer gsm = gsm(block, 0.25);
            Parameter first = block.getParameters().get("01Linear_weight");
            Parameter last = block.getParameters().get("04Linear_weight");
            // the very first step refused: no state at all may stay
            byte[] empty = OptimizerStateTest.save(gsm);
            Map<String, float[]> start = weights(block);
            gsm.update(first.getId(), first.getArray(), withNan(manager, first));
            NonFiniteGradientException nan = assertThrows(NonFiniteGradientException.class,
                    () -> gsm.update(last.getId(), last.getArray(), gradient(manager, last, 1)));
            assertArrayEquals(empty, OptimizerStateTest.save(gsm), "a refused first step leaves no state");
            assertTrue(nan.getMessage().contains("1 weights have a NaN score |g*w| at step 1") && nan.getMessage().contains("nothing was stepped"),
                    nan.getMessage());
            assertWeights(start, block);

            // a step that ran, then a refused one: the save is the one after the step that ran
            for (Parameter p : new Parameter[] {first, last}) gsm.update(p.getId(), p.getArray(), gradient(manager, p, 2));
            byte[] afterOne = OptimizerStateTest.save(gsm);
            Map<String, float[]> stepped = weights(block);
            gsm.update(last.getId(), last.getArray(), gradient(manager, last, 3));
            assertThrows(NonFiniteGradientException.class, () -> gsm.update(first.getId(), first.getArray(), withNan(manager, first)));
            assertArrayEquals(afterOne, OptimizerStateTest.save(gsm), "the refused step counted nothing and wrote no momentum");
            assertWeights(stepped, block);

            // and the next good step runs from there
            for (Parameter p : new Parameter[] {first, last}) gsm.update(p.getId(), p.getArray(), gradient(manager, p, 4));
            assertTrue(!java.util.Arrays.equals(afterOne, OptimizerStateTest.save(gsm)), "the next step ran");
        }
    }

    @Test
    void aWeightArrivingTwiceChangesNothing() throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            Block once = mlp(manager), twice = mlp(manager);
            SparsestepOptimizer plain = gmpGlobal(once), refused = gmpGlobal(twice);
            for (int step = 1; step <= 2; step++) {
                for (String name : new String[] {"01Linear_weight", "04Linear_weight"}) {
                    Parameter p = once.getParameters().get(name), q = twice.getParameters().get(name);
                    plain.update(p.getId(), p.getArray(), gradient(manager, p, step));
                    refused.update(q.getId(), q.getArray(), gradient(manager, q, step));
                    if (name.startsWith("01")) {
                        IllegalStateException e = assertThrows(IllegalStateException.class,
                                () -> refused.update(q.getId(), q.getArray(), gradient(manager, q, 99)));
                        assertTrue(e.getMessage().contains("01Linear_weight arrived twice in one step while [04Linear_weight] did not"),
                                e.getMessage());
                    }
                }
                assertArrayEquals(OptimizerStateTest.save(plain), OptimizerStateTest.save(refused), "step " + step);
                assertWeights(weights(once), twice);
            }
        }
    }

    @Test
    void gsmsQBelowOneIsRefusedWhenTheOptimizerIsBuiltOnAnInitializedBlock() {
        try (NDManager manager = NDManager.newBaseManager()) {
            Block block = mlp(manager);
            // 16 x 8 + 4 x 16 = 192 trainable weights: floor(0.005 * 192) = 0
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> gsm(block, 0.005));
            assertEquals("optRatio(0.005) gives GSM Q = floor(ratio * N) = floor(0.005 * 192) = 0 of the block's N = 192 trainable weights;"
                    + " Q must be >= 1: use optRatio(0.005208333333333333) or more (at most 1)", e.getMessage());
            gsm(block, 0.006); // floor(0.006 * 192) = 1: builds
        }
    }

    @Test
    void gsmsQBelowOneIsRefusedAtTheFirstUpdateWhenTheTrainerInitializesTheBlock() throws Exception {
        try (NDManager manager = NDManager.newBaseManager(); Model model = Model.newInstance("mlp")) {
            model.setBlock(Mlps.lenet300());
            // built before trainer.initialize: the weights have no size yet, the check waits for the first update
            SparsestepOptimizer gsm = SparsestepOptimizer.gsm().setBlock(model.getBlock()).setLearningRateTracker(Tracker.fixed(LR))
                    .optRatio(1e-6).build();
            byte[] empty = OptimizerStateTest.save(gsm);
            try (Trainer trainer = OptimizerStateTest.trainer(model, gsm)) {
                Map<String, float[]> start = weights(model.getBlock());
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                        () -> OptimizerStateTest.train(trainer, OptimizerStateTest.batches(manager).subList(0, 1)));
                assertTrue(e.getMessage().startsWith("optRatio(1.0E-6) gives GSM Q = floor(ratio * N) = floor(1.0E-6 * 266200) = 0"),
                        e.getMessage());
                assertArrayEquals(empty, OptimizerStateTest.save(gsm));
                assertWeights(start, model.getBlock());
            }
        }
    }

    @Test
    void gsmAndGlobalGmpRefuseABlockWithoutWeightsWhenBuilt() {
        try (NDManager manager = NDManager.newBaseManager()) {
            SequentialBlock norms = new SequentialBlock().add(BatchNorm.builder().build());
            norms.initialize(manager, DataType.FLOAT32, new Shape(2, 8));
            IllegalArgumentException gsm = assertThrows(IllegalArgumentException.class, () -> gsm(norms, 0.5));
            assertTrue(gsm.getMessage().startsWith("GSM ranks the block's trainable weights (parameters of type WEIGHT) together, and the block has none"),
                    gsm.getMessage());
            IllegalArgumentException gmp = assertThrows(IllegalArgumentException.class, () -> gmpGlobal(norms));
            assertTrue(gmp.getMessage().startsWith("GMP with optScope(GLOBAL) ranks"), gmp.getMessage());
            // per layer, GMP needs no weights to rank together: batch norm alone trains as momentum SGD
            SparsestepOptimizer.gmp().setBlock(norms).setLearningRateTracker(Tracker.fixed(LR)).optEndStep(4).optFrequency(2).build();
        }
    }

    private static SparsestepOptimizer gsm(Block block, double ratio) {
        return SparsestepOptimizer.gsm().setBlock(block).setLearningRateTracker(Tracker.fixed(LR)).optRatio(ratio).build();
    }

    /** Global GMP with a mask update at every step: every step is a whole step. */
    private static SparsestepOptimizer gmpGlobal(Block block) {
        return SparsestepOptimizer.gmp().setBlock(block).setLearningRateTracker(Tracker.fixed(LR)).optFinalSparsity(0.5).optEndStep(8)
                .optFrequency(1).optScope(PruneScope.GLOBAL).build();
    }

    /** Linear(16) + BatchNorm + ReLU + Linear(4) on 8 inputs, seeded: the same block each call. */
    private static Block mlp(NDManager manager) {
        Engine.getInstance().setRandomSeed(11);
        SequentialBlock block = Mlps.withBatchNorm(16, 4);
        block.initialize(manager, DataType.FLOAT32, new Shape(2, 8));
        return block;
    }

    /** A seeded gradient for {@code p}. */
    private static NDArray gradient(NDManager manager, Parameter p, long seed) {
        java.util.SplittableRandom rng = new java.util.SplittableRandom(seed * 31 + p.getArray().size());
        float[] g = new float[Math.toIntExact(p.getArray().size())];
        for (int i = 0; i < g.length; i++) g[i] = (float) rng.nextGaussian() * 0.5f;
        return manager.create(g, p.getArray().getShape());
    }

    /** A gradient of ones with one NaN: one NaN score |g*w|. */
    private static NDArray withNan(NDManager manager, Parameter p) {
        float[] g = new float[Math.toIntExact(p.getArray().size())];
        java.util.Arrays.fill(g, 1f);
        g[3] = Float.NaN;
        return manager.create(g, p.getArray().getShape());
    }

    private static Map<String, float[]> weights(Block block) {
        Map<String, float[]> out = new LinkedHashMap<>();
        for (var p : block.getParameters()) out.put(p.getKey(), p.getValue().getArray().toFloatArray());
        return out;
    }

    private static void assertWeights(Map<String, float[]> expected, Block block) {
        Map<String, float[]> now = weights(block);
        for (String name : expected.keySet()) assertArrayEquals(CoreTwin.bits(expected.get(name)), CoreTwin.bits(now.get(name)), name);
    }
}
