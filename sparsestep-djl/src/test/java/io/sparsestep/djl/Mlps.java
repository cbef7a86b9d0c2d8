package io.sparsestep.djl;

import ai.djl.nn.Activation;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.BatchNorm;

/** Small DJL models for the tests. */
final class Mlps {
    private Mlps() {}

    /** LeNet-300-100 as a DJL SequentialBlock of Linear + ReLU: 784-300-100-10, 266,200 weights and 410 biases. */
    static SequentialBlock lenet300() {
        return new SequentialBlock()
                .add(Linear.builder().setUnits(300).build())
                .add(Activation::relu)
                .add(Linear.builder().setUnits(100).build())
                .add(Activation::relu)
                .add(Linear.builder().setUnits(10).build());
    }

    /** Linear + BatchNorm + ReLU + Linear: weights, biases and batch norm's gamma, beta and running statistics. */
    static SequentialBlock withBatchNorm(int hidden, int classes) {
        return new SequentialBlock()
                .add(Linear.builder().setUnits(hidden).build())
                .add(BatchNorm.builder().build())
                .add(Activation::relu)
                .add(Linear.builder().setUnits(classes).build());
    }
}
