package io.sparsestep.dl4j;

import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/** DL4J MLPs for the tests, built from a seed so that two builds start from the same weights. */
final class Mlps {
    private Mlps() {}

    /** 784 - hidden (ReLU) ... - 10 (softmax, cross-entropy), every layer with {@code updater}. */
    static MultiLayerConfiguration conf(IUpdater updater, int... hidden) {
        NeuralNetConfiguration.ListBuilder list = new NeuralNetConfiguration.Builder()
                .seed(42)
                .weightInit(WeightInit.XAVIER)
                .updater(updater)
                .list();
        int in = 784;
        for (int h : hidden) {
            list.layer(new DenseLayer.Builder().nIn(in).nOut(h).activation(Activation.RELU).build());
            in = h;
        }
        list.layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nIn(in).nOut(10).activation(Activation.SOFTMAX).build());
        return list.build();
    }

    static MultiLayerNetwork net(IUpdater updater, int... hidden) {
        MultiLayerNetwork net = new MultiLayerNetwork(conf(updater, hidden));
        net.init();
        return net;
    }
}
