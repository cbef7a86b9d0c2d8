package io.sparsestep.train.analyze;

import io.sparsestep.backend.Backend;
import io.sparsestep.data.BatchLoader;
import io.sparsestep.data.DatasetSplit;
import io.sparsestep.data.Normalization;
import io.sparsestep.data.TrainTest;
import io.sparsestep.nn.Models;
import io.sparsestep.nn.Network;
import io.sparsestep.params.ParamBuffer;
import io.sparsestep.store.NetworkTensors;

import java.util.ArrayList;
import java.util.List;

/**
 * One network of the runs' model and every run's parameters as a buffer beside it, with the
 * runs' data normalised as in training (statistics of the run's whole training split) and
 * cut to the samples the analysis uses. Each run's file is loaded into the network (names
 * and shapes checked, the first mismatch named) and its parameters copied out; a
 * non-finite parameter is refused naming the run and the tensor.
 */
final class RunNetwork implements AutoCloseable {
    final Network net;
    final List<ParamBuffer> weights = new ArrayList<>();
    final Normalization norm;
    final DatasetSplit train, test;
    final AnalyzedRun.Data data;

    /**
     * @param trainSamples the first N training images the analysis uses (0: all the run had)
     * @param testSamples  likewise of the test split
     * @param extraBatches other batch sizes the loaders will serve, prepared before allocation
     */
    RunNetwork(List<AnalyzedRun> runs, TrainTest all, int trainSamples, int testSamples, int batch, Backend backend) {
        AnalyzedRun first = runs.getFirst();
        this.data = first.data();
        this.norm = Normalization.of(all.train());
        this.train = all.train().head(trainSamples);
        this.test = all.test().head(testSamples);
        int[] shape = {all.channels(), all.height(), all.width()};
        int maxBatch = Math.min(batch, Math.max(train.count(), test.count()));
        this.net = Network.build(first.weights().model(), backend, Models.create(first.weights().architecture(), shape, all.classes()), shape,
                all.classes(), maxBatch, data.seed(), lastBatch(train.count(), maxBatch), lastBatch(test.count(), maxBatch));
        try {
            for (AnalyzedRun run : runs) {
                NetworkTensors.loadFile(net, run.file(), run.option());
                ParamBuffer copy = net.paramSpace().allocateLike(run.option());
                weights.add(copy);
                copy.copyFrom(net.paramSpace().values());
                requireFinite(run, copy);
            }
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    /** Batch size of the network: the requested one, or the larger split when both are smaller. */
    int batch() { return net.maxBatch(); }

    /** The training images in a fixed order (epoch 0), augmented as the run trained when {@code augment}. */
    BatchLoader trainLoader(boolean shuffle, boolean augment) {
        return new BatchLoader(train, batch(), shuffle, augment, data.seed(), norm);
    }

    BatchLoader testLoader() { return new BatchLoader(test, batch(), false, false, data.seed(), norm); }

    private static int lastBatch(int count, int batch) {
        int rest = count % batch;
        return rest == 0 ? batch : rest;
    }

    private void requireFinite(AnalyzedRun run, ParamBuffer values) {
        float[] host = values.toHost();
        for (var e : net.paramSpace().layout().entries()) {
            for (long i = 0; i < e.size(); i++) {
                float v = host[Math.toIntExact(e.offset() + i)];
                if (!Float.isFinite(v)) {
                    throw new IllegalArgumentException(run.option() + " " + run.file() + ": tensor '" + e.name() + "' holds " + v
                            + " at entry " + i + "; the run diverged, analyse a finished one");
                }
            }
        }
    }

    @Override
    public void close() {
        for (ParamBuffer b : weights) b.close();
        net.close();
    }
}
