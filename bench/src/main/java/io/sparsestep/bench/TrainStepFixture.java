package io.sparsestep.bench;

import io.sparsestep.backend.Backend;
import io.sparsestep.nn.Models;
import io.sparsestep.nn.Network;
import io.sparsestep.optim.Optimizer;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;

/**
 * A network, its optimizer and one synthetic batch already on the backend: what a full
 * training step (forward, loss, backward, optimizer) needs. The batch is uploaded once,
 * so the step times the compute alone, not the input pipeline. The backend is borrowed.
 */
public final class TrainStepFixture implements AutoCloseable {
    private static final int CLASSES = 10;

    private final Network net;
    private final Optimizer optimizer;
    private final StepKind optimizerKind;
    private final int batch;
    private final float[] lossAndCorrect = new float[2];

    private TrainStepFixture(Backend backend, String model, int batch, StepKind optimizerKind, long seed) {
        if (!optimizerKind.isOptimizer()) {
            throw new IllegalArgumentException("a training step needs an optimizer (a method of the registry), got " + optimizerKind.id());
        }
        if (batch <= 0) throw new IllegalArgumentException("benchmark batch size must be positive, got " + batch);
        int[] input = inputShape(model);
        this.batch = batch;
        this.optimizerKind = optimizerKind;
        this.net = Network.build(model, backend, Models.create(model, input, CLASSES), input, CLASSES, batch, seed);
        this.optimizer = optimizerKind.spec().build(net.paramSpace());
        uploadBatch(backend, input, seed);
    }

    /**
     * Builds {@code model} for {@code batch} samples with the given optimizer. LeNets get
     * MNIST's 1x28x28 input, every other model CIFAR's 3x32x32.
     */
    public static TrainStepFixture open(Backend backend, String model, int batch, StepKind optimizerKind, long seed) {
        return new TrainStepFixture(backend, model, batch, optimizerKind, seed);
    }

    static int[] inputShape(String model) {
        return model.startsWith("lenet") ? new int[]{1, 28, 28} : new int[]{3, 32, 32};
    }

    private void uploadBatch(Backend backend, int[] input, long seed) {
        int perSample = input[0] * input[1] * input[2];
        SplittableRandom rng = new SplittableRandom(seed ^ 0x5DEECE66DL);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment images = arena.allocate(4L * perSample * batch, 64);
            MemorySegment labels = arena.allocate(4L * batch, 64);
            for (long i = 0; i < (long) perSample * batch; i++) images.setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) rng.nextDouble());
            for (int i = 0; i < batch; i++) labels.setAtIndex(ValueLayout.JAVA_FLOAT, i, i % CLASSES);
            backend.upload(images, net.input(batch));
            backend.upload(labels, net.labels(batch));
            backend.synchronize();
        }
    }

    /** Forward, loss, backward and one optimizer step (asynchronous on a GPU backend). */
    public void step() {
        net.trainStep(batch);
        optimizer.step(1.0);
    }

    /** Mean loss of the last step (waits for the backend). */
    public double lastLoss() {
        net.readLossAndCorrect(lossAndCorrect);
        return lossAndCorrect[0] / batch;
    }

    public Network network() { return net; }
    public StepKind optimizerKind() { return optimizerKind; }
    public int batch() { return batch; }
    public long stateBytes() { return optimizer.stateBytes(); }

    @Override
    public void close() {
        optimizer.close();
        net.close();
    }
}
