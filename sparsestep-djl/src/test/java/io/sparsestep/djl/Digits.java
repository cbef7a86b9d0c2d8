package io.sparsestep.djl;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.dataset.ArrayDataset;
import io.sparsestep.data.DatasetSplit;
import io.sparsestep.data.Normalization;
import io.sparsestep.data.SynthDigits;
import io.sparsestep.data.TrainTest;

/**
 * MNIST-shaped data for DJL: sparsestep-core's synth-digits (28x28, 10 classes, generated
 * from a seed, nothing downloaded) as DJL ArrayDatasets of flat 784-float images, normalised
 * with the training split's mean and std, labels as float class indices.
 */
record Digits(ArrayDataset train, ArrayDataset test) {

    /** {@code trainCount}/{@code testCount} digits of seed {@code seed}; batches of {@code batch}, the training set shuffled or in order. */
    static Digits of(NDManager manager, long seed, int trainCount, int testCount, int batch, boolean shuffle) {
        TrainTest data = SynthDigits.generate(seed, trainCount, testCount);
        Normalization norm = Normalization.of(data.train());
        return new Digits(dataset(manager, data.train(), norm, batch, shuffle), dataset(manager, data.test(), norm, batch, false));
    }

    private static ArrayDataset dataset(NDManager manager, DatasetSplit split, Normalization norm, int batch, boolean shuffle) {
        int size = split.imageSize();
        float[] pixels = new float[split.count() * size];
        float[] labels = new float[split.count()];
        for (int i = 0; i < split.count(); i++) {
            for (int k = 0; k < size; k++) pixels[i * size + k] = norm.apply(0, split.pixels()[i * size + k] & 0xFF);
            labels[i] = split.label(i);
        }
        return new ArrayDataset.Builder()
                .setData(manager.create(pixels, new Shape(split.count(), size)))
                .optLabels(manager.create(labels, new Shape(split.count())))
                .setSampling(batch, shuffle)
                .build();
    }
}
