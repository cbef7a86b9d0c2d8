package io.sparsestep.djl;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Blocks;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.nn.pooling.Pool;

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

    /**
     * A small LeNet-like conv net for flat 784-float digits: reshape to [1, 28, 28], conv 8 5x5,
     * ReLU, max pool 2, conv 16 5x5, ReLU, max pool 2, flatten (256), Linear(10).
     */
    static SequentialBlock convNet() {
        return new SequentialBlock()
                .add(x -> new NDList(x.singletonOrThrow().reshape(-1, 1, 28, 28)))
                .add(Conv2d.builder().setKernelShape(new Shape(5, 5)).setFilters(8).build())
                .add(Activation::relu)
                .add(Pool.maxPool2dBlock(new Shape(2, 2)))
                .add(Conv2d.builder().setKernelShape(new Shape(5, 5)).setFilters(16).build())
                .add(Activation::relu)
                .add(Pool.maxPool2dBlock(new Shape(2, 2)))
                .add(Blocks.batchFlattenBlock())
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
