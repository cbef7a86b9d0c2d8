package io.sparsestep.train;

import io.sparsestep.store.NetworkTensors;

import io.sparsestep.backend.Backend;
import io.sparsestep.data.BatchLoader;
import io.sparsestep.data.Normalization;
import io.sparsestep.data.TrainTest;
import io.sparsestep.nn.Architecture;
import io.sparsestep.nn.Models;
import io.sparsestep.nn.Network;

import java.nio.file.Path;

/**
 * {@code sparsestep eval}: saved weights (weights.safetensors, or a checkpoint) loaded
 * into a fresh network of their architecture (a shrunk one included), evaluated on the test split, with the sparsity
 * counted both ways. Normalisation comes from the training split, as in training, so pass
 * the data options the run was trained with.
 */
public final class WeightsEvaluation {
    public record Report(Evaluation.Result test, SparsityReport weights, SparsityReport allParameters) {}

    private WeightsEvaluation() {}

    public static Report run(Path file, Architecture arch, TrainTest data, int batchSize, Backend backend) {
        int[] shape = {data.channels(), data.height(), data.width()};
        Normalization norm = Normalization.of(data.train());
        BatchLoader test = new BatchLoader(data.test(), batchSize, false, false, 1, norm);
        try (Network net = Network.build(arch.model(), backend, Models.create(arch, shape, data.classes()), shape, data.classes(), batchSize, 1,
                test.lastBatchSize());
             Evaluation evaluation = new Evaluation(net, test)) {
            NetworkTensors.loadFile(net, file, "--weights");
            return new Report(evaluation.run(), Sparsity.weights(net), Sparsity.allParameters(net));
        }
    }
}
