package io.sparsestep.analysis;

import io.sparsestep.backend.Backend;
import io.sparsestep.data.BatchLoader;
import io.sparsestep.nn.Network;
import io.sparsestep.params.ParamBuffer;

/**
 * The gradient of the mean training loss over a whole data set at the network's current
 * parameters, in training mode (batch norm normalises with each batch's statistics, as the
 * gRDA authors' Hessian does; ALGORITHMS.md 1.5): each batch's mean-loss gradient from
 * {@link Network#trainStep}, weighted by its share of the samples and summed on the backend.
 * Every pass visits epoch 0 of the loader (a fixed order and fixed augmentation draws), so
 * the gradient is a deterministic function of the parameters, which a Lanczos operator must
 * be. A last batch too small for batch statistics is left out, weights and count alike.
 * Training-mode passes move the running statistics; nothing here reads them.
 */
public final class DatasetGradient implements AutoCloseable {
    /** The mean loss and accuracy over the samples the pass used. */
    public record Pass(double loss, double accuracy, long samples) {}

    private final Network net;
    private final BatchLoader data;
    private final BatchStaging staging;
    private final long samples;
    private final float[] lossAndCorrect = new float[2];

    public DatasetGradient(Network net, BatchLoader data) {
        this.net = net;
        this.data = data;
        this.staging = new BatchStaging(net);
        boolean lastFits = net.trainsBatchOf(data.lastBatchSize());
        this.samples = data.split().count() - (lastFits ? 0 : data.lastBatchSize());
        if (samples <= 0) {
            throw new IllegalArgumentException(data.split().name() + ": no batch of " + data.batchSize() + " can train " + net.modelId()
                    + " (batch norm needs 2 values per channel); use more samples or a larger batch");
        }
    }

    /** Samples each pass uses. */
    public long samples() { return samples; }

    /** Writes the mean gradient into {@code into} (laid out like the parameters) and returns the pass's mean loss. */
    public Pass meanGradient(ParamBuffer into) {
        Backend be = net.backend();
        be.elementwise().fill(into.all(), 0f);
        data.startEpoch(0);
        double lossSum = 0, correct = 0;
        int n;
        while ((n = staging.uploadNext(data)) > 0) {
            if (!net.trainsBatchOf(n)) continue;
            net.trainStep(n);
            be.vectors().axpy((float) ((double) n / samples), net.paramSpace().grads().all(), into.all());
            net.readLossAndCorrect(lossAndCorrect);
            lossSum += lossAndCorrect[0];
            correct += lossAndCorrect[1];
        }
        return new Pass(lossSum / samples, correct / samples, samples);
    }

    @Override
    public void close() { staging.close(); }
}
