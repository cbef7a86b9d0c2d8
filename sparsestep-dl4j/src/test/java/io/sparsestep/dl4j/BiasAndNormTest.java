package io.sparsestep.dl4j;

import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.updater.UpdaterBlock;
import org.deeplearning4j.nn.weights.WeightInit;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.lossfunctions.LossFunctions;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static io.sparsestep.dl4j.Flat.floats;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Weights and the rest are told apart through the layers' configurations: with a threshold
 * far above every value (c = 100: tau = 100 * 0.1^1.1 = 7.9 after one step) every weight is
 * +0.0 while biases and batch norm's gamma and beta are exactly their accumulators (tau 0:
 * SGD), moved and not zero. With thresholdBiases they are +0.0 too. Batch norm's running
 * mean and variance are DL4J's own (no gRDA block holds them).
 */
class BiasAndNormTest {
    @Test
    void biasesAndBatchNormAreNotThresholdedUnlessAsked() {
        MultiLayerNetwork net = withBatchNorm(GrdaUpdater.builder().learningRate(0.1).c(100).build());
        Attachment attachment = SparsestepUpdaters.attach(net);
        assertEquals(List.of("0_W", "2_W"), attachment.prunable());
        Map<String, float[]> before = snapshot(net);
        fitTwice(net);
        List<String> kept = new ArrayList<>();
        for (Grda v : grdaVariables(net)) {
            if (v.prunable()) {
                for (float x : v.values()) assertEquals(0, Float.floatToRawIntBits(x), v.name() + " is thresholded to +0.0");
            } else {
                for (int i = 0; i < v.values().length; i++) {
                    assertEquals(Float.floatToRawIntBits(v.acc()[i]), Float.floatToRawIntBits(v.values()[i]), v.name() + "[" + i + "] = its accumulator");
                }
                assertNotEquals(0, nonZeros(v.values()), v.name() + " is not pruned");
                assertTrue(changed(before.get(v.name()), v.values()), v.name() + " was stepped");
                kept.add(v.name());
            }
        }
        assertEquals(List.of("0_b", "1_gamma", "1_beta", "2_b"), kept);
        assertEquals(2, attachment.grdaBlocks(), "batch norm's mean and variance (DL4J's NoOp updater) split the network into two gRDA blocks");
    }

    @Test
    void thresholdBiasesPrunesThemToo() {
        MultiLayerNetwork net = withBatchNorm(GrdaUpdater.builder().learningRate(0.1).c(100).thresholdBiases(true).build());
        SparsestepUpdaters.attach(net);
        fitTwice(net);
        int stepped = 0;
        for (Grda v : grdaVariables(net)) {
            for (float x : v.values()) assertEquals(0, Float.floatToRawIntBits(x), v.name());
            stepped++;
        }
        assertEquals(6, stepped);
    }

    /** A variable of a gRDA block: its name, whether it is a weight (a W key), its values and its accumulator from the state view. */
    private record Grda(String name, boolean prunable, float[] values, float[] acc) {}

    private static List<Grda> grdaVariables(MultiLayerNetwork net) {
        List<Grda> out = new ArrayList<>();
        for (UpdaterBlock block : Flat.blocks(net)) {
            if (!(block.getGradientUpdater() instanceof GrdaGradientUpdater)) continue;
            float[] acc = Flat.stateAfterHeader(block, block.getParamOffsetEnd() - block.getParamOffsetStart());
            for (UpdaterBlock.ParamState p : block.getLayersAndVariablesInBlock()) {
                int from = p.getParamOffsetStart() - block.getParamOffsetStart();
                float[] a = new float[p.getParamOffsetEnd() - p.getParamOffsetStart()];
                System.arraycopy(acc, from, a, 0, a.length);
                String name = net.getLayers()[indexOf(net, p)].getIndex() + "_" + p.getParamName();
                out.add(new Grda(name, p.getParamName().equals("W"), floats(p.getParamView()), a));
            }
        }
        return out;
    }

    private static int indexOf(MultiLayerNetwork net, UpdaterBlock.ParamState p) {
        for (int i = 0; i < net.getLayers().length; i++) if (net.getLayers()[i] == p.getLayer()) return i;
        throw new AssertionError("no layer holds " + p.getParamName());
    }

    private static MultiLayerNetwork withBatchNorm(GrdaUpdater updater) {
        MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder().seed(3).weightInit(WeightInit.XAVIER).updater(updater).list()
                .layer(new DenseLayer.Builder().nIn(784).nOut(16).activation(Activation.IDENTITY).build())
                .layer(new BatchNormalization.Builder().nOut(16).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nIn(16).nOut(10).activation(Activation.SOFTMAX).build())
                .build();
        MultiLayerNetwork net = new MultiLayerNetwork(conf);
        net.init();
        return net;
    }

    private static void fitTwice(MultiLayerNetwork net) {
        DataSet batch = Digits.of(8, 32, 32).train();
        net.fit(batch);
        net.fit(batch);
    }

    private static Map<String, float[]> snapshot(MultiLayerNetwork net) {
        Map<String, float[]> out = new java.util.HashMap<>();
        net.paramTable().forEach((k, v) -> out.put(k, floats(v)));
        return out;
    }

    private static long nonZeros(float[] values) {
        long n = 0;
        for (float v : values) if (v != 0f) n++;
        return n;
    }

    private static boolean changed(float[] before, float[] now) {
        for (int i = 0; i < now.length; i++) if (Float.floatToRawIntBits(before[i]) != Float.floatToRawIntBits(now[i])) return true;
        return false;
    }
}
