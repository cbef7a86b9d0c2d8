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
import ai.djl.nn.core.Linear;
import ai.djl.training.Trainer;
import ai.djl.training.tracker.Tracker;
import ai.djl.util.Pair;
import io.sparsestep.optim.PruneScope;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A steady step makes no arena and no host slot, and a backend tensor wrapper only over memory
 * that moved: counted through the optimizer's {@link CoreOps} (every one the adapter makes
 * goes through it). Each rule trains LeNet-300-100 in DJL's own loop; after two warm-up steps
 * (the first makes each parameter's state and views, GSM's and global GMP's flat copies)
 * three more steps make nothing, GMP updating its masks at every one of them. PyTorch hands
 * over each step's gradient in fresh memory: the rules that read it as a segment (gRDA, SGD,
 * per-layer GMP; GSM and global GMP copy it into their flat copy) wrap nothing, the one that
 * runs a backend op on it (sDprun's group step on the weights) one wrapper per weight gradient that moved.
 * And through the host copy (transposed, non-contiguous weights and gradients, new arrays
 * each step) GSM's whole step reuses its slots' stages and wrappers.
 */
class SteadyStepAllocationTest {
    @Test
    void grdaMakesNothingOnceSteady() throws Exception {
        steady(b -> SparsestepOptimizer.grda().setBlock(b).setLearningRateTracker(Tracker.fixed(0.1f)).build(), false);
    }

    @Test
    void sgdMakesNothingOnceSteady() throws Exception {
        steady(b -> SparsestepOptimizer.fusedSgd().setBlock(b).setLearningRateTracker(Tracker.fixed(0.05f)).build(), false);
    }

    @Test
    void sdprunWrapsOnlyTheGradientsThatMoved() throws Exception {
        steady(b -> SparsestepOptimizer.sdprun().setBlock(b).setLearningRateTracker(Tracker.fixed(0.1f)).optC(0.05).build(), true);
    }

    @Test
    void gsmMakesNothingOnceSteady() throws Exception {
        steady(b -> SparsestepOptimizer.gsm().setBlock(b).setLearningRateTracker(Tracker.fixed(0.05f)).optRatio(0.1).build(), false);
    }

    @Test
    void gmpPerLayerMakesNothingOnceSteady() throws Exception {
        steady(b -> gmp(b, PruneScope.LAYER), false);
    }

    @Test
    void globalGmpMakesNothingOnceSteady() throws Exception {
        steady(b -> gmp(b, PruneScope.GLOBAL), false);
    }

    /** Mask updates at every step 0..10. */
    private static SparsestepOptimizer gmp(Block block, PruneScope scope) {
        return SparsestepOptimizer.gmp().setBlock(block).setLearningRateTracker(Tracker.fixed(0.05f)).optFinalSparsity(0.8).optEndStep(10)
                .optFrequency(1).optScope(scope).build();
    }

    /** Three steady steps make no arena and no slot; wrappers only where {@code wrapsGradients}, one per moved gradient at most. */
    private static void steady(Function<Block, SparsestepOptimizer> build, boolean wrapsGradients) throws Exception {
        Engine.getInstance().setRandomSeed(3);
        try (NDManager manager = NDManager.newBaseManager(); Model model = Model.newInstance("mlp")) {
            model.setBlock(Mlps.lenet300());
            SparsestepOptimizer opt = build.apply(model.getBlock());
            try (Trainer trainer = OptimizerStateTest.trainer(model, opt)) {
                OptimizerStateTest.Batches batches = OptimizerStateTest.batches(manager);
                OptimizerStateTest.train(trainer, batches.subList(0, 2));
                CoreOps.Made warm = opt.made();
                long updates = opt.inPlaceUpdates();
                OptimizerStateTest.train(trainer, batches.subList(2, 5));
                CoreOps.Made now = opt.made();
                assertEquals(warm.arenas(), now.arenas(), opt.describe() + ": steady steps make no arena");
                assertEquals(warm.hostSlots(), now.hostSlots(), opt.describe() + ": steady steps make no host slot");
                long wraps = now.wraps() - warm.wraps(), moves = now.moves() - warm.moves();
                if (wrapsGradients) {
                    // 3 weight gradients a step, each wrapped when its memory moved
                    assertTrue(wraps <= moves && wraps <= 3 * 3, opt.describe() + ": " + wraps + " wrappers for " + moves + " moves");
                } else {
                    assertEquals(0, wraps, opt.describe() + ": steady steps make no wrapper (" + moves + " gradients moved)");
                }
                // 6 parameters a step, all on DJL's memory: the steps did run
                assertEquals(updates + 3 * 6, opt.inPlaceUpdates());
                assertEquals(0, opt.copiedUpdates());
                assertTrue(warm.hostSlots() >= 12 && warm.arenas() >= 6, "the warm-up made each parameter's views and state: " + warm);
            }
        }
    }

    @Test
    void gsmThroughTheHostCopyMakesNothingOnceSteady() {
        Engine.getInstance().setRandomSeed(5);
        try (NDManager manager = NDManager.newBaseManager()) {
            SequentialBlock block = new SequentialBlock().add(Linear.builder().setUnits(10).build()).add(Linear.builder().setUnits(3).build());
            block.initialize(manager, DataType.FLOAT32, new Shape(1, 12));
            SparsestepOptimizer gsm = SparsestepOptimizer.gsm().setBlock(block).setLearningRateTracker(Tracker.fixed(0.1f)).optRatio(0.3).build();
            java.util.Map<String, NDArray> weights = new java.util.LinkedHashMap<>();
            for (Pair<String, Parameter> p : block.getParameters()) weights.put(p.getKey(), p.getValue().getArray().duplicate());
            SplittableRandom rng = new SplittableRandom(9);
            CoreOps.Made warm = null;
            for (int step = 1; step <= 5; step++) {
                if (step == 3) warm = gsm.made();
                for (Pair<String, Parameter> p : block.getParameters()) {
                    NDArray w = weights.get(p.getKey());
                    float[] g = new float[Math.toIntExact(w.size())];
                    for (int i = 0; i < g.length; i++) g[i] = (float) rng.nextGaussian() * 0.5f;
                    NDArray grad = manager.create(g, w.getShape());
                    if (w.getShape().dimension() == 2) {
                        // new non-contiguous arrays each step: the weight and its gradient go through the host copy
                        w = transposedView(manager, w);
                        weights.put(p.getKey(), w);
                        grad = transposedView(manager, grad);
                    }
                    gsm.update(p.getValue().getId(), w, grad);
                }
            }
            CoreOps.Made now = gsm.made();
            // (the biases' gradients are new contiguous arrays each step: they move, and GSM reads them as segments)
            assertEquals(List.of(warm.arenas(), warm.wraps(), warm.hostSlots()), List.of(now.arenas(), now.wraps(), now.hostSlots()),
                    "the host copies reuse their stages and wrappers: " + warm + " then " + now);
            assertEquals(5 * 2L, gsm.copiedUpdates());
        }
    }

    /** An array with the values of the [rows, cols] array {@code a} whose memory is [cols, rows]: non-contiguous. */
    private static NDArray transposedView(NDManager manager, NDArray a) {
        int rows = Math.toIntExact(a.getShape().get(0)), cols = Math.toIntExact(a.getShape().get(1));
        float[] values = a.toFloatArray(), t = new float[values.length];
        for (int r = 0; r < rows; r++) for (int c = 0; c < cols; c++) t[c * rows + r] = values[r * cols + c];
        return manager.create(t, new Shape(cols, rows)).transpose();
    }
}
