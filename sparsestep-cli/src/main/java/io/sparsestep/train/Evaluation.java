package io.sparsestep.train;

import io.sparsestep.backend.Backend;
import io.sparsestep.data.BatchLoader;
import io.sparsestep.nn.Network;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Test loss and accuracy of a network in evaluation mode (batch norm uses its running
 * statistics), over one split in order. Host staging for the batches is allocated once.
 */
public final class Evaluation implements AutoCloseable {
    /** Mean loss and accuracy over every sample of the split. */
    public record Result(double loss, double accuracy, long samples) {}

    private final Network net;
    private final BatchLoader split;
    private final Arena arena; // null when the staging belongs to the caller
    private final MemorySegment hostImages, hostLabels;
    private final float[] lossAndCorrect = new float[2];

    /** With staging of its own for the network's largest batch. */
    public Evaluation(Network net, BatchLoader split) {
        this.net = net;
        this.split = split;
        this.arena = Arena.ofShared();
        this.hostImages = arena.allocate(4 * sampleFloats(net) * net.maxBatch(), 64);
        this.hostLabels = arena.allocate(4L * net.maxBatch(), 64);
    }

    /** On the caller's staging (the trainer's, which is free between epochs). */
    Evaluation(Network net, BatchLoader split, MemorySegment hostImages, MemorySegment hostLabels) {
        this.net = net;
        this.split = split;
        this.arena = null;
        this.hostImages = hostImages;
        this.hostLabels = hostLabels;
    }

    /** Floats of one input sample. */
    static long sampleFloats(Network net) {
        long perSample = 1;
        for (int d : net.inputShape()) perSample *= d;
        return perSample;
    }

    public Result run() {
        Backend be = net.backend();
        split.startEpoch(0);
        double lossSum = 0, correct = 0;
        long seen = 0;
        int n;
        while ((n = split.next(hostImages, hostLabels)) > 0) {
            be.upload(hostImages, net.input(n));
            be.upload(hostLabels, net.labels(n));
            net.evalStep(n);
            net.readLossAndCorrect(lossAndCorrect);
            lossSum += lossAndCorrect[0];
            correct += lossAndCorrect[1];
            seen += n;
        }
        return new Result(lossSum / seen, correct / seen, seen);
    }

    @Override
    public void close() {
        if (arena != null) arena.close();
    }
}
