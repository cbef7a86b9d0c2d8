package io.sparsestep.data;

/**
 * A validation split carved out of a training split, for choosing hyperparameters without
 * looking at the test split. Which images go to validation is a function of the seed alone:
 * the training images are ranked by the high 32 bits of a SplitMix hash of (seed, index),
 * equal hashes by the lower index, and the {@code floor(fraction * count)} lowest-ranked (at
 * least one) form the validation split; both parts keep the original order of their images, so
 * the rest trains exactly as a split of that size would.
 */
public final class ValidationSplit {
    /** Mixed into the seed so the carve is independent of data order and augmentation streams. */
    private static final long PURPOSE = 0x76616c6964L; // "valid"

    private ValidationSplit() {}

    /** How many of {@code count} training images {@code fraction} sets aside (floor, at least 1). */
    public static int size(int count, double fraction) {
        check(fraction);
        return Math.max(1, (int) Math.floor(fraction * count));
    }

    /**
     * {@code data}'s training split cut in two: a train split without the validation images,
     * and those images as the "test" split. The true test split is not used.
     */
    public static TrainTest carve(TrainTest data, double fraction, long seed) {
        DatasetSplit train = data.train();
        int n = train.count();
        int v = size(n, fraction);
        if (n - v < 1) {
            throw new IllegalArgumentException("--validation " + fraction + " leaves no training image of " + n + "; use more --train-samples");
        }
        boolean[] held = chosen(n, v, seed);
        return new TrainTest(subset(train, held, false, train.name() + " without validation"),
                subset(train, held, true, train.name() + " validation"));
    }

    /** {@code v} of {@code n} indices, those ranked first by (hash of (seed, index), index). */
    static boolean[] chosen(int n, int v, long seed) {
        long[] keyed = new long[n];
        for (int i = 0; i < n; i++) {
            // 32 hash bits on top (unsigned order via the sign flip), the index below: equal hashes go by index
            long h = Seeds.mix(seed, PURPOSE, i) ^ Long.MIN_VALUE;
            keyed[i] = (h & 0xFFFFFFFF00000000L) | i;
        }
        java.util.Arrays.sort(keyed);
        boolean[] held = new boolean[n];
        for (int k = 0; k < v; k++) held[(int) (keyed[k] & 0xFFFFFFFFL)] = true;
        return held;
    }

    private static DatasetSplit subset(DatasetSplit s, boolean[] held, boolean want, String name) {
        int size = s.imageSize();
        int count = 0;
        for (boolean h : held) if (h == want) count++;
        byte[] pixels = new byte[count * size];
        byte[] labels = new byte[count];
        int j = 0;
        for (int i = 0; i < s.count(); i++) {
            if (held[i] != want) continue;
            System.arraycopy(s.pixels(), i * size, pixels, j * size, size);
            labels[j++] = s.labels()[i];
        }
        return new DatasetSplit(name, count, s.channels(), s.height(), s.width(), s.classes(), pixels, labels);
    }

    private static void check(double fraction) {
        if (!(fraction > 0 && fraction <= 0.5)) {
            throw new IllegalArgumentException("--validation must be in (0, 0.5] (the share of the training images held out), got " + fraction);
        }
    }
}
