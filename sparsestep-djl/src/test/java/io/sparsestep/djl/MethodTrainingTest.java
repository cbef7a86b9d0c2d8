package io.sparsestep.djl;

import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.tracker.Tracker;
import ai.djl.util.Pair;
import io.sparsestep.optim.Sdprun;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * sDprun, GSM and GMP train DJL models on MNIST-shaped digits inside DJL's own
 * {@code EasyTrain.fit} to real sparsity: exact zeros (all +0.0) counted here from the
 * model's own arrays, accuracy well above chance (0.1), every update on DJL's memory and
 * every gradient zeroed. 5,000 training and 1,000 test digits, 3 epochs; batches of 128 (40
 * steps an epoch) for GSM and GMP, of 32 (157 steps) for sDprun: its plain SGD steps and
 * gRDA's threshold schedule need more steps than three epochs of 40 to learn and to prune.
 */
class MethodTrainingTest {
    private static final int TRAIN = 5_000, TEST = 1_000, BATCH = 128, STEPS_PER_EPOCH = 40, SDPRUN_BATCH = 32, EPOCHS = 3;

    @Test
    void sdprunZeroesWholeRowsOfADjlMlp() throws Exception {
        SdprunRun run = sdprun("lenet300", Mlps.lenet300(), 1, 0.025);
        assertTrue(run.accuracy() > 0.8, "accuracy " + run.accuracy());
        long zeroWeights = 0;
        for (Sdprun.GroupCount g : run.groups()) zeroWeights += (long) g.zero() * g.groupSize();
        assertTrue(run.groups().get(0).zero() > 0, "whole rows of the first layer are zero: " + run.groups());
        // sDprun zeroes whole groups only: every exact zero sits in an all-zero row (a lone zero in a live row is a 1e-7 chance)
        assertEquals(zeroWeights, run.zeros().positive(), "the zeros are whole rows");
    }

    @Test
    void sdprunZeroesWholeFiltersOfADjlConvNet() throws Exception {
        SdprunRun run = sdprun("conv net", Mlps.convNet(), 2, 0.04);
        assertTrue(run.accuracy() > 0.85, "accuracy " + run.accuracy());
        long zeroFilters = 0;
        for (Sdprun.GroupCount g : run.groups()) if (g.tensor().endsWith("Conv2d_weight")) zeroFilters += g.zero();
        assertTrue(zeroFilters > 0, "whole conv filters are zero: " + run.groups());
    }

    /** What an sDprun run ended with: DJL's validation accuracy, the zero groups per weight, the exact zeros. */
    private record SdprunRun(double accuracy, List<Sdprun.GroupCount> groups, Zeros zeros) {}

    /** {@code block} trained with sDprun (lr 0.1, threshold scale c, the engine seeded with {@code seed}); checks what every run must hold. */
    private static SdprunRun sdprun(String name, Block block, int seed, double c) throws Exception {
        Engine.getInstance().setRandomSeed(seed);
        try (Model model = Model.newInstance(name); NDManager manager = NDManager.newBaseManager()) {
            model.setBlock(block);
            SparsestepOptimizer sdprun = SparsestepOptimizer.sdprun().setBlock(model.getBlock()).setLearningRateTracker(Tracker.fixed(0.1f))
                    .optC(c).build();
            double accuracy = Fit.fit(model, sdprun, Digits.of(manager, 1, TRAIN, TEST, SDPRUN_BATCH, true), EPOCHS);
            SdprunRun run = new SdprunRun(accuracy, sdprun.zeroGroups(), Zeros.of(model));
            System.out.printf("DJL %s sDprun c=%s: accuracy %.4f, sparsity %.4f, zero groups %s%n", name, c, accuracy, run.zeros().share(),
                    run.groups());
            assertEquals(0, run.zeros().negative(), "the group shrink writes +0.0");
            assertTrue(Fit.gradientsAreZero(model));
            assertEquals(0, sdprun.copiedUpdates());
            return run;
        }
    }

    @Test
    void gsmTrainsADjlMlpAndItsFinalPruneKeepsExactlyTheRatio() throws Exception {
        Engine.getInstance().setRandomSeed(1);
        int epochs = EPOCHS;
        try (Model model = Model.newInstance("lenet300"); NDManager manager = NDManager.newBaseManager()) {
            model.setBlock(Mlps.lenet300());
            SparsestepOptimizer gsm = SparsestepOptimizer.gsm().setBlock(model.getBlock()).setLearningRateTracker(Tracker.fixed(0.05f))
                    .optRatio(0.1).build();
            Digits data = Digits.of(manager, 1, TRAIN, TEST, BATCH, true);
            double trained = Fit.fit(model, gsm, data, epochs);
            long kept = gsm.finalPrune();
            double pruned = Fit.accuracy(model, data.test());
            Zeros zeros = Zeros.of(model);
            System.out.printf("DJL lenet300 GSM ratio 0.1: accuracy %.4f trained, %.4f after the final prune, sparsity %.4f %s%n",
                    trained, pruned, zeros.share(), gsm.sparsity());
            // N = 266,200: k0 = floor(N * 0.9) = 239,580 pruned, 26,620 kept (ties among trained weights: none)
            assertEquals(26_620, kept);
            assertEquals(239_580, zeros.positive() + zeros.negative());
            assertEquals(0, zeros.negative(), "the prune writes +0.0");
            assertTrue(pruned > 0.8, "accuracy after the prune " + pruned);
            // every weight counted once per step, when its whole step ran; biases at once
            assertEquals((long) STEPS_PER_EPOCH * epochs * 6, gsm.inPlaceUpdates());
            assertTrue(Fit.gradientsAreZero(model));
        }
    }

    @Test
    void gmpMasksADjlMlpToItsScheduleExactlyPerLayer() throws Exception {
        Engine.getInstance().setRandomSeed(1);
        int epochs = EPOCHS;
        try (Model model = Model.newInstance("lenet300"); NDManager manager = NDManager.newBaseManager()) {
            model.setBlock(Mlps.lenet300());
            // 120 steps: the default end is the last multiple of 20 before 3/4 of them, step 80
            SparsestepOptimizer gmp = SparsestepOptimizer.gmp().setBlock(model.getBlock()).setLearningRateTracker(Tracker.fixed(0.05f))
                    .optFinalSparsity(0.9).optFrequency(20).optTotalSteps((long) STEPS_PER_EPOCH * epochs).build();
            assertTrue(gmp.describe().contains("steps 0..80 every 20"), gmp.describe());
            double accuracy = Fit.fit(model, gmp, Digits.of(manager, 1, TRAIN, TEST, BATCH, true), epochs);
            Map<String, Double> sparsity = gmp.sparsity();
            System.out.printf("DJL lenet300 GMP 0.9 per layer: accuracy %.4f, sparsity %.4f %s%n", accuracy, gmp.overallSparsity(), sparsity);
            assertTrue(accuracy > 0.8, "accuracy " + accuracy);
            for (Pair<String, Parameter> p : model.getBlock().getParameters()) {
                if (p.getValue().getType() != Parameter.Type.WEIGHT) continue;
                long n = p.getValue().getArray().size();
                // the last update (step 80) kept k = round(n * 0.1) of each layer; 40 masked steps later the rest are still +0.0
                assertEquals((n - Math.rint(n * 0.1)) / n, sparsity.get(p.getKey()), 0.0, p.getKey());
            }
            assertEquals(0, Zeros.of(model).negative());
            assertTrue(Fit.gradientsAreZero(model));
        }
    }

    /** The exact zeros of a model's weights (type WEIGHT): +0.0 and -0.0 apart, and the weights in all. */
    private record Zeros(long positive, long negative, long weights) {
        static Zeros of(Model model) {
            long positive = 0, negative = 0, weights = 0;
            for (Pair<String, Parameter> p : model.getBlock().getParameters()) {
                if (p.getValue().getType() != Parameter.Type.WEIGHT) continue;
                for (float v : p.getValue().getArray().toFloatArray()) {
                    if (Float.floatToRawIntBits(v) == 0) positive++;
                    if (Float.floatToRawIntBits(v) == Float.floatToRawIntBits(-0f)) negative++;
                    weights++;
                }
            }
            return new Zeros(positive, negative, weights);
        }

        double share() { return (double) (positive + negative) / weights; }
    }
}
