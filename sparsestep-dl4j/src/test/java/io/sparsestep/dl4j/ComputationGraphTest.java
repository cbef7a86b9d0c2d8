package io.sparsestep.dl4j;

import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.lossfunctions.LossFunctions;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A ComputationGraph attaches like a MultiLayerNetwork, its variables named as its
 * {@code paramTable()} names them: a threshold far above every value (c = 100) leaves the
 * weights +0.0 and the biases moved by plain SGD.
 */
class ComputationGraphTest {
    @Test
    void aComputationGraphIsPrunedThroughItsOwnFit() {
        ComputationGraphConfiguration conf = new NeuralNetConfiguration.Builder().seed(2)
                .updater(GrdaUpdater.builder().learningRate(0.1).c(100).build())
                .graphBuilder()
                .addInputs("in")
                .addLayer("hidden", new DenseLayer.Builder().nIn(784).nOut(12).activation(Activation.RELU).build(), "in")
                .addLayer("out", new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nIn(12).nOut(10)
                        .activation(Activation.SOFTMAX).build(), "hidden")
                .setOutputs("out")
                .build();
        ComputationGraph graph = new ComputationGraph(conf);
        graph.init();
        Attachment attachment = SparsestepUpdaters.attach(graph);
        assertEquals(List.of("hidden_W", "out_W"), attachment.prunable());
        assertEquals(List.of("hidden_b", "out_b"), attachment.notPruned());
        DataSet batch = Digits.of(10, 32, 32).train();
        graph.fit(batch);
        graph.fit(batch);
        for (Map.Entry<String, INDArray> p : graph.paramTable().entrySet()) {
            long zeros = 0;
            for (float v : Flat.floats(p.getValue())) if (Float.floatToRawIntBits(v) == 0) zeros++;
            if (p.getKey().endsWith("_W")) assertEquals(p.getValue().length(), zeros, p.getKey() + " all +0.0");
            else assertTrue(zeros < p.getValue().length(), p.getKey() + " moved by SGD, not pruned");
        }
        assertEquals(1.0, attachment.overallSparsity());
        assertEquals(2, attachment.inPlaceSteps());
    }
}
