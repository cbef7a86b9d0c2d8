package io.sparsestep.dl4j;

import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.nd4j.evaluation.classification.Evaluation;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A DL4J LeNet-300-100 trained on MNIST-shaped digits with DL4J's own {@code fit} loop, with
 * the gRDA updater (to real sparsity) and with the fused SGD updater (dense, for comparison).
 */
class GrdaTrainingTest {
    private static final int EPOCHS = 6, BATCH = 128;

    @Test
    void grdaPrunesAnMlpToOver80PercentInsideDl4jsFit() {
        Digits data = Digits.of(1, 10_000, 2_000);
        MultiLayerNetwork net = Mlps.net(GrdaUpdater.builder().learningRate(0.1).c(0.03).mu(0.6).build(), 300, 100);
        Attachment grda = SparsestepUpdaters.attach(net);
        long start = System.nanoTime();
        net.fit(data.trainBatches(BATCH), EPOCHS);
        double seconds = (System.nanoTime() - start) / 1e9;
        Evaluation eval = net.evaluate(data.testBatches(500));
        long zeros = 0, negativeZeros = 0, weights = 0;
        for (Map.Entry<String, INDArray> p : net.paramTable().entrySet()) {
            float[] values = Flat.floats(p.getValue());
            long z = 0;
            for (float v : values) {
                if (v == 0f) z++;
                if (Float.floatToRawIntBits(v) == 0x80000000) negativeZeros++;
            }
            if (p.getKey().endsWith("_W")) {
                zeros += z;
                weights += values.length;
            } else {
                assertTrue(z < values.length / 10, p.getKey() + " is not pruned: " + z + " zeros of " + values.length);
            }
        }
        System.out.printf("DL4J lenet300 gRDA: %.1f s, accuracy %.4f, sparsity %.4f (%d of %d weights exactly +0.0) %s%n",
                seconds, eval.accuracy(), grda.overallSparsity(), zeros, weights, grda.sparsity());
        assertEquals(List.of("0_W", "1_W", "2_W"), grda.prunable());
        assertEquals(List.of("0_b", "1_b", "2_b"), grda.notPruned());
        assertEquals(784 * 300 + 300 * 100 + 100 * 10, weights);
        assertEquals((double) zeros / weights, grda.overallSparsity(), 0);
        assertEquals(0, negativeZeros, "gRDA writes pruned weights as +0.0");
        assertTrue(grda.overallSparsity() > 0.8, "sparsity " + grda.overallSparsity());
        assertTrue(eval.accuracy() > 0.9, "accuracy " + eval.accuracy());
        assertEquals(EPOCHS * (10_000 / BATCH + 1), grda.inPlaceSteps(), "one in-place step per batch");
    }

    @Test
    void fusedSgdWithMomentumTrainsTheSameMlpDense() {
        Digits data = Digits.of(1, 10_000, 2_000);
        MultiLayerNetwork net = Mlps.net(FusedSgdUpdater.builder().learningRate(0.01).momentum(0.9).build(), 300, 100);
        Attachment sgd = SparsestepUpdaters.attach(net);
        net.fit(data.trainBatches(BATCH), 2);
        Evaluation eval = net.evaluate(data.testBatches(500));
        System.out.printf("DL4J lenet300 fused SGD momentum 0.9: accuracy %.4f, sparsity %.4f%n", eval.accuracy(), sgd.overallSparsity());
        assertEquals(0, sgd.grdaBlocks());
        assertEquals(0, sgd.overallSparsity(), 1e-4);
        assertTrue(eval.accuracy() > 0.9, "accuracy " + eval.accuracy());
        assertEquals(2 * (10_000 / BATCH + 1), sgd.inPlaceSteps());
    }
}
