package io.sparsestep.dl4j;

import io.sparsestep.data.DatasetSplit;
import io.sparsestep.data.Normalization;
import io.sparsestep.data.SynthDigits;
import io.sparsestep.data.TrainTest;
import org.deeplearning4j.datasets.iterator.utilty.ListDataSetIterator;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;
import org.nd4j.linalg.factory.Nd4j;

/**
 * MNIST-shaped data for DL4J: sparsestep-core's synth-digits (28x28, 10 classes, generated
 * from a seed, nothing downloaded) as DL4J DataSets of flat 784-float images, normalised
 * with the training split's mean and std, labels one-hot.
 */
record Digits(DataSet train, DataSet test) {

    static Digits of(long seed, int trainCount, int testCount) {
        TrainTest data = SynthDigits.generate(seed, trainCount, testCount);
        Normalization norm = Normalization.of(data.train());
        return new Digits(dataSet(data.train(), norm), dataSet(data.test(), norm));
    }

    /** The training set in batches of {@code batch}, always in the same order (no shuffling: runs compare bit for bit). */
    DataSetIterator trainBatches(int batch) {
        return new ListDataSetIterator<>(train.asList(), batch);
    }

    DataSetIterator testBatches(int batch) {
        return new ListDataSetIterator<>(test.asList(), batch);
    }

    private static DataSet dataSet(DatasetSplit split, Normalization norm) {
        int size = split.imageSize();
        float[] pixels = new float[split.count() * size];
        float[] labels = new float[split.count() * split.classes()];
        for (int i = 0; i < split.count(); i++) {
            for (int k = 0; k < size; k++) pixels[i * size + k] = norm.apply(0, split.pixels()[i * size + k] & 0xFF);
            labels[i * split.classes() + split.label(i)] = 1f;
        }
        return new DataSet(Nd4j.create(pixels, new long[] {split.count(), size}, 'c'),
                Nd4j.create(labels, new long[] {split.count(), split.classes()}, 'c'));
    }
}
