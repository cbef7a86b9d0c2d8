package io.sparsestep.data;

import java.util.SplittableRandom;

/** Labels for synthetic splits: every class equally often (to within one), in random order. */
final class SynthLabels {
    private SynthLabels() {
    }

    static byte[] balanced(int count, int classes, long seed) {
        byte[] labels = new byte[count];
        for (int i = 0; i < count; i++) {
            labels[i] = (byte) (i % classes);
        }
        SplittableRandom rng = new SplittableRandom(seed);
        for (int i = count - 1; i > 0; i--) {
            int k = rng.nextInt(i + 1);
            byte t = labels[i];
            labels[i] = labels[k];
            labels[k] = t;
        }
        return labels;
    }
}
