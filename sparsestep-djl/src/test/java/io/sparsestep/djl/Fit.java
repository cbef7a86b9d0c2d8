package io.sparsestep.djl;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.ParameterStore;
import ai.djl.training.dataset.ArrayDataset;
import ai.djl.training.dataset.Batch;
import ai.djl.training.EasyTrain;
import ai.djl.training.Trainer;
import ai.djl.training.evaluator.Accuracy;
import ai.djl.training.listener.TrainingListener;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.util.Pair;

import java.io.IOException;

/** DJL's own fit loop ({@code EasyTrain.fit}) on the CPU, with softmax cross-entropy and DJL's accuracy evaluator. */
final class Fit {
    private Fit() {}

    /** Trains {@code model} (its block set) for {@code epochs} and returns DJL's validation accuracy of the last epoch. */
    static double fit(Model model, Optimizer optimizer, Digits data, int epochs) throws IOException {
        DefaultTrainingConfig config = new DefaultTrainingConfig(Loss.softmaxCrossEntropyLoss())
                .optOptimizer(optimizer)
                .optDevices(new Device[] {Device.cpu()})
                .addEvaluator(new Accuracy())
                .addTrainingListeners(TrainingListener.Defaults.basic());
        try (Trainer trainer = model.newTrainer(config)) {
            trainer.initialize(new Shape(1, 784));
            try {
                EasyTrain.fit(trainer, epochs, data.train(), data.test());
            } catch (ai.djl.translate.TranslateException e) {
                throw new IOException(e);
            }
            return trainer.getTrainingResult().getValidateEvaluation("Accuracy");
        }
    }

    /** The share of {@code data}'s samples whose largest logit is their label, with the block's weights as they are now. */
    static double accuracy(Model model, ArrayDataset data) throws IOException {
        long right = 0, count = 0;
        try (NDManager manager = model.getNDManager().newSubManager()) {
            ParameterStore parameters = new ParameterStore(manager, false);
            try {
                for (Batch batch : data.getData(manager)) {
                    try (batch) {
                        NDArray predicted = model.getBlock().forward(parameters, batch.getData(), false).singletonOrThrow().argMax(1);
                        long[] labels = batch.getLabels().singletonOrThrow().toType(DataType.INT64, false).toLongArray();
                        long[] guesses = predicted.toLongArray();
                        for (int i = 0; i < labels.length; i++) if (labels[i] == guesses[i]) right++;
                        count += labels.length;
                    }
                }
            } catch (ai.djl.translate.TranslateException e) {
                throw new IOException(e);
            }
        }
        return (double) right / count;
    }

    /** Every element of every gradient the model's parameters hold is +0.0 (the optimizer zeroed them). */
    static boolean gradientsAreZero(Model model) {
        for (Pair<String, Parameter> p : model.getBlock().getParameters()) {
            NDArray a = p.getValue().getArray();
            if (!a.hasGradient()) continue;
            try (NDArray g = a.getGradient()) {
                for (float v : g.toFloatArray()) if (Float.floatToRawIntBits(v) != 0) return false;
            }
        }
        return true;
    }
}
