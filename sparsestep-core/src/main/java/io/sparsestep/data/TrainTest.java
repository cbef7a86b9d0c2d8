package io.sparsestep.data;

/** A dataset's training and test split; both have the same image shape and classes. */
public record TrainTest(DatasetSplit train, DatasetSplit test) {

    public TrainTest {
        if (train == null || test == null) {
            throw new IllegalArgumentException("train and test splits must not be null");
        }
        // The readers already reject empty files with the file's name; this guards every other
        // source, since an empty split trains to a NaN loss and tests to 0/0 accuracy.
        for (DatasetSplit s : new DatasetSplit[] {train, test}) {
            if (s.count() == 0) {
                throw new IllegalArgumentException(s.name() + ": 0 images; a split needs at least one");
            }
        }
        if (train.channels() != test.channels() || train.height() != test.height()
                || train.width() != test.width() || train.classes() != test.classes()) {
            throw new IllegalArgumentException("train and test splits differ in shape: "
                    + describe(train) + " vs " + describe(test));
        }
    }

    private static String describe(DatasetSplit s) {
        return s.name() + " " + s.channels() + "x" + s.height() + "x" + s.width() + " " + s.classes() + " classes";
    }

    public int channels() {
        return train.channels();
    }

    public int height() {
        return train.height();
    }

    public int width() {
        return train.width();
    }

    public int classes() {
        return train.classes();
    }
}
