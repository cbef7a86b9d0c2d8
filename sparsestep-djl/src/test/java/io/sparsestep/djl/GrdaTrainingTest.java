package io.sparsestep.djl;

import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import ai.djl.training.tracker.Tracker;
import ai.djl.util.Pair;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A DJL LeNet-300-100 trained on MNIST-shaped digits inside DJL's own fit loop, with the
 * adapter's gRDA and with its SGD.
 */
class GrdaTrainingTest {
    private static final int EPOCHS = 6;

    @Test
    void grdaPrunesADjlMlpToOver80PercentInsideEasyTrainFit() throws Exception {
        Engine.getInstance().setRandomSeed(1);
        try (Model model = Model.newInstance("lenet300"); NDManager manager = NDManager.newBaseManager()) {
            model.setBlock(Mlps.lenet300());
            SparsestepOptimizer grda = SparsestepOptimizer.grda()
                    .setBlock(model.getBlock())
                    .setLearningRateTracker(Tracker.fixed(0.1f))
                    .optC(0.03).optMu(0.6)
                    .build();
            Digits data = Digits.of(manager, 1, 10_000, 2_000, 128, true);
            double accuracy = Fit.fit(model, grda, data, EPOCHS);

            // the zeros, counted here from the model's own arrays: +0.0 and -0.0 apart
            long positiveZeros = 0, negativeZeros = 0, weights = 0;
            for (Pair<String, Parameter> p : model.getBlock().getParameters()) {
                if (p.getValue().getType() != Parameter.Type.WEIGHT) continue;
                for (float v : p.getValue().getArray().toFloatArray()) {
                    if (Float.floatToRawIntBits(v) == 0) positiveZeros++;
                    if (Float.floatToRawIntBits(v) == Float.floatToRawIntBits(-0f)) negativeZeros++;
                    weights++;
                }
            }
            double sparsity = (double) positiveZeros / weights;
            System.out.printf("DJL lenet300 gRDA: accuracy %.4f, sparsity %.4f (%d of %d weights exactly +0.0) %s%n",
                    accuracy, sparsity, positiveZeros, weights, grda.sparsity());
            assertEquals(266_200, weights);
            assertEquals(0, negativeZeros, "gRDA's threshold writes +0.0 (a - a), never -0.0");
            assertTrue(sparsity > 0.8, "sparsity " + sparsity);
            assertTrue(accuracy > 0.85, "accuracy " + accuracy + " (chance is 0.1)");
            assertEquals(sparsity, grda.overallSparsity(), 0.0);
            assertEquals(List.of("01Linear_weight", "03Linear_weight", "05Linear_weight"), List.copyOf(grda.sparsity().keySet()));
            // 10,000 / 128 = 79 batches a step (the last one short), 6 parameters each, all on DJL's own memory
            assertEquals(79L * EPOCHS * 6, grda.inPlaceUpdates());
            assertEquals(0, grda.copiedUpdates());
            assertTrue(Fit.gradientsAreZero(model), "every gradient is zeroed after its update");
        }
    }

    @Test
    void sgdWithMomentumTrainsTheSameMlpDense() throws Exception {
        Engine.getInstance().setRandomSeed(1);
        try (Model model = Model.newInstance("lenet300"); NDManager manager = NDManager.newBaseManager()) {
            model.setBlock(Mlps.lenet300());
            SparsestepOptimizer sgd = SparsestepOptimizer.fusedSgd()
                    .setBlock(model.getBlock())
                    .setLearningRateTracker(Tracker.fixed(0.01f))
                    .optMomentum(0.9)
                    .build();
            Digits data = Digits.of(manager, 1, 10_000, 2_000, 128, true);
            double accuracy = Fit.fit(model, sgd, data, 2);
            System.out.printf("DJL lenet300 SGD momentum 0.9: accuracy %.4f, sparsity %.4f%n", accuracy, sgd.overallSparsity());
            assertTrue(accuracy > 0.85, "accuracy " + accuracy + " (chance is 0.1)");
            assertEquals(0.0, sgd.overallSparsity(), "SGD prunes nothing");
            assertTrue(Fit.gradientsAreZero(model));
        }
    }
}
