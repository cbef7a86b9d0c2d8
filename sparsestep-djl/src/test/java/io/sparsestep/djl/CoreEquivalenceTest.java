package io.sparsestep.djl;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.Blocks;
import ai.djl.nn.Parameter;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.training.tracker.Tracker;
import ai.djl.util.Pair;
import io.sparsestep.backend.GroupGeometry.Grouping;
import io.sparsestep.optim.GmpSpec;
import io.sparsestep.optim.GsmSpec;
import io.sparsestep.optim.MomentumSettings;
import io.sparsestep.optim.Optimizer;
import io.sparsestep.optim.PruneScope;
import io.sparsestep.optim.Sdprun;
import io.sparsestep.optim.TrainingPlan;
import io.sparsestep.params.ParamGroup;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The adapter's sDprun, GSM and GMP on DJL's arrays equal the core's {@code Sdprun},
 * {@code Gsm} and {@code Gmp} on a {@link CoreTwin} (a ParamSpace copy of the block) bit for
 * bit, step after step, with the same gradients: weights, biases and batch norm's gamma and
 * beta. The learning rate is 0.125, the same number in float (DJL's trackers) and double (the
 * core's settings), so gRDA's threshold schedule sees one lr. The updates arrive in the
 * block's order for the per-tensor rules and in a different order each step for the ones
 * that rank all weights together, which must not matter.
 */
class CoreEquivalenceTest {
    private static final float LR = 0.125f;
    private static final int STEPS = 4;

    @Test
    void sdprunByFiltersOnAConvNetEqualsTheCore() {
        sdprunEqualsTheCore(Grouping.FILTERS, Sdprun.Lambda.SQRT, 1.2);
    }

    @Test
    void sdprunByChannelsWithLambdaOneEqualsTheCore() {
        // lambda 1 instead of sqrt(|G|) = 7.3 (channels) and 9.8 (rows): a larger c for a bite
        sdprunEqualsTheCore(Grouping.CHANNELS, Sdprun.Lambda.ONE, 8);
    }

    private static void sdprunEqualsTheCore(Grouping grouping, Sdprun.Lambda lambda, double c) {
        double mu = 0.6, biasC = 0.05;
        try (NDManager manager = NDManager.newBaseManager()) {
            Block block = convNet(manager);
            SparsestepOptimizer djl = SparsestepOptimizer.sdprun().setBlock(block).setLearningRateTracker(Tracker.fixed(LR))
                    .optC(c).optMu(mu).optBiasC(biasC).optGroups(grouping).optLambda(lambda).build();
            try (CoreTwin twin = new CoreTwin(block);
                 Sdprun core = Sdprun.builder().lr(LR).c(c).mu(mu).group(ParamGroup.BIAS_AND_NORM, s -> s.withC(biasC))
                         .grouping(grouping).lambda(lambda).build(twin.space())) {
                for (int step = 1; step <= STEPS; step++) {
                    twin.step(manager, djl, core, step, 0.5f, Function.identity());
                    twin.assertSameBits(grouping.id() + " step " + step);
                }
                List<Sdprun.GroupCount> ours = djl.zeroGroups(), theirs = core.zeroGroups();
                assertEquals(theirs, ours, "the group report counts the same groups");
                int zero = 0, groups = 0;
                for (Sdprun.GroupCount g : ours) {
                    zero += g.zero();
                    groups += g.groups();
                }
                // with the engine's seed 11: 2 of 6 filters and all 5 rows at c 1.2, 1 row at c 8 by channels
                assertTrue(zero > 0 && zero < groups, "the group threshold is active but not total: " + ours);
            }
        }
    }

    @Test
    void gsmWithTiesKeptEqualsTheCoreWhateverOrderTheWeightsArriveIn() {
        gsmEqualsTheCore(false, false);
    }

    @Test
    void gsmWithExactQAndNesterovEqualsTheCore() {
        gsmEqualsTheCore(true, true);
    }

    private static void gsmEqualsTheCore(boolean exactQ, boolean nesterov) {
        double momentum = 0.9, weightDecay = 1e-2, ratio = 0.25;
        try (NDManager manager = NDManager.newBaseManager()) {
            Block block = mlp(manager);
            SparsestepOptimizer djl = SparsestepOptimizer.gsm().setBlock(block).setLearningRateTracker(Tracker.fixed(LR))
                    .optMomentum(momentum).optWeightDecay(weightDecay).optNesterov(nesterov).optRatio(ratio).optExactQ(exactQ).build();
            GsmSpec spec = new GsmSpec(new MomentumSettings(LR, momentum, weightDecay, nesterov), ratio, exactQ, true);
            try (CoreTwin twin = new CoreTwin(block); Optimizer core = spec.build(twin.space(), TrainingPlan.UNSPECIFIED)) {
                for (int step = 1; step <= STEPS; step++) {
                    int rotate = step;
                    twin.step(manager, djl, core, step, 0.5f, params -> rotated(params, rotate));
                    twin.assertSameBits("step " + step);
                }
                // the authors' final prune: the core runs it after the last epoch (1 in an unspecified plan)
                long kept = djl.finalPrune();
                core.endEpoch(1);
                twin.assertSameBits("after the final prune");
                long weights = 16 * 8 + 4 * 16;
                assertEquals(weights - (long) Math.floor(weights * (1 - ratio)), kept, "exactly N - k0 kept (no ties among random weights)");
            }
        }
    }

    @Test
    void gmpPerLayerEqualsTheCore() {
        gmpEqualsTheCore(PruneScope.LAYER);
    }

    @Test
    void gmpGlobalEqualsTheCoreWhateverOrderTheWeightsArriveIn() {
        gmpEqualsTheCore(PruneScope.GLOBAL);
    }

    private static void gmpEqualsTheCore(PruneScope scope) {
        double momentum = 0.9, weightDecay = 1e-2, finalSparsity = 0.75;
        // mask updates at steps 1, 3 and 5 (counted from 0), none at 0, 2, 4 and 6
        long begin = 1, end = 5, frequency = 2;
        try (NDManager manager = NDManager.newBaseManager()) {
            Block block = mlp(manager);
            SparsestepOptimizer djl = SparsestepOptimizer.gmp().setBlock(block).setLearningRateTracker(Tracker.fixed(LR))
                    .optMomentum(momentum).optWeightDecay(weightDecay).optFinalSparsity(finalSparsity)
                    .optBeginStep(begin).optEndStep(end).optFrequency(frequency).optScope(scope).build();
            GmpSpec spec = new GmpSpec(new MomentumSettings(LR, momentum, weightDecay, false), 0, finalSparsity, begin, end, frequency, scope, false);
            try (CoreTwin twin = new CoreTwin(block); Optimizer core = spec.build(twin.space(), TrainingPlan.UNSPECIFIED)) {
                for (int step = 1; step <= 7; step++) {
                    int rotate = step;
                    twin.step(manager, djl, core, step, 0.5f, params -> rotated(params, rotate));
                    twin.assertSameBits(scope.option() + " step " + step);
                }
            }
            // at the last update (step 5) k = round(n * 0.25) of each layer's weights (or of all together) stayed; the rest are +0.0
            long zeros = 0, weights = 0;
            for (Pair<String, Parameter> p : block.getParameters()) {
                if (p.getValue().getType() != Parameter.Type.WEIGHT) continue;
                long z = 0;
                for (float v : p.getValue().getArray().toFloatArray()) if (Float.floatToRawIntBits(v) == 0) z++;
                long n = p.getValue().getArray().size();
                if (scope == PruneScope.LAYER) assertEquals(n - Math.rint(n * 0.25), z, p.getKey());
                zeros += z;
                weights += n;
            }
            assertEquals(weights - Math.rint(weights * 0.25), zeros, "weights pruned in all");
        }
    }

    @Test
    void aWholeStepWaitsForItsLastWeightAndRefusesOneArrivingTwice() {
        try (NDManager manager = NDManager.newBaseManager()) {
            Block block = mlp(manager);
            SparsestepOptimizer gsm = SparsestepOptimizer.gsm().setBlock(block).setLearningRateTracker(Tracker.fixed(LR)).optRatio(0.5).build();
            Parameter first = block.getParameters().get("01Linear_weight");
            Parameter last = block.getParameters().get("04Linear_weight");
            float[] before = first.getArray().toFloatArray();
            var grad = manager.ones(first.getArray().getShape());
            gsm.update(first.getId(), first.getArray(), grad);
            assertArrayEquals(CoreTwin.bits(before), CoreTwin.bits(first.getArray().toFloatArray()), "nothing moves before the step is whole");
            IllegalStateException twice = org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class,
                    () -> gsm.update(first.getId(), first.getArray(), grad));
            assertTrue(twice.getMessage().contains("01Linear_weight arrived twice in one step while [04Linear_weight] did not"),
                    twice.getMessage());
            IllegalStateException save = org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class,
                    () -> gsm.saveState(new java.io.ByteArrayOutputStream()));
            assertTrue(save.getMessage().contains("between trainer steps"), save.getMessage());
            gsm.update(last.getId(), last.getArray(), manager.ones(last.getArray().getShape()));
            assertTrue(!java.util.Arrays.equals(before, first.getArray().toFloatArray()), "the last weight's arrival steps the first one too");
        }
    }

    /** The parameters starting at index {@code by} (mod their count): a different arrival order each step. */
    private static List<Pair<String, Parameter>> rotated(List<Pair<String, Parameter>> params, int by) {
        List<Pair<String, Parameter>> out = new ArrayList<>(params);
        Collections.rotate(out, by);
        if (by % 2 == 0) Collections.reverse(out);
        return out;
    }

    /** Linear(16) + BatchNorm + ReLU + Linear(4) on 8 inputs: 192 weights, biases, gamma and beta. */
    private static Block mlp(NDManager manager) {
        Engine.getInstance().setRandomSeed(11);
        SequentialBlock block = Mlps.withBatchNorm(16, 4);
        block.initialize(manager, DataType.FLOAT32, new Shape(2, 8));
        return block;
    }

    /** Conv2d 6 filters 3x3 on 3 channels + BatchNorm + ReLU + Linear(5) on 6x6 inputs: a conv weight [6, 3, 3, 3] and a linear [5, 96]. */
    private static Block convNet(NDManager manager) {
        Engine.getInstance().setRandomSeed(11);
        SequentialBlock block = new SequentialBlock()
                .add(Conv2d.builder().setKernelShape(new Shape(3, 3)).setFilters(6).build())
                .add(BatchNorm.builder().build())
                .add(Activation::relu)
                .add(Blocks.batchFlattenBlock())
                .add(Linear.builder().setUnits(5).build());
        block.initialize(manager, DataType.FLOAT32, new Shape(2, 3, 6, 6));
        return block;
    }
}
