package io.sparsestep.data;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * The carve: floor(fraction * n) images (at least one) held out, the two parts disjoint and
 * together exactly the training split, each in the original order, a function of the seed
 * alone, and the test split untouched.
 */
class ValidationSplitTest {
    /** n images of 2 bytes each, image i holding (i, i >> 8) so every image is identifiable. */
    private static TrainTest data(int n) {
        byte[] px = new byte[2 * n], labels = new byte[n];
        for (int i = 0; i < n; i++) {
            px[2 * i] = (byte) i;
            px[2 * i + 1] = (byte) (i >> 8);
            labels[i] = (byte) (i % 10);
        }
        DatasetSplit train = new DatasetSplit("t/train", n, 1, 1, 2, 10, px, labels);
        DatasetSplit test = new DatasetSplit("t/test", 1, 1, 1, 2, 10, new byte[] {7, 7}, new byte[] {3});
        return new TrainTest(train, test);
    }

    private static List<Integer> ids(DatasetSplit s) {
        List<Integer> out = new ArrayList<>();
        for (int i = 0; i < s.count(); i++) out.add((s.pixels()[2 * i] & 0xFF) | (s.pixels()[2 * i + 1] & 0xFF) << 8);
        return out;
    }

    @Test
    void thePartsAreDisjointCompleteOrderedAndSized() {
        TrainTest d = data(1003);
        TrainTest c = ValidationSplit.carve(d, 0.1, 42);
        assertEquals(100, c.test().count(), "floor(0.1 * 1003)");
        assertEquals(903, c.train().count());
        List<Integer> train = ids(c.train()), val = ids(c.test());
        List<Integer> all = new ArrayList<>(train);
        all.addAll(val);
        all.sort(null);
        List<Integer> expected = new ArrayList<>();
        for (int i = 0; i < 1003; i++) expected.add(i);
        assertEquals(expected, all, "every image exactly once");
        assertEquals(train.stream().sorted().toList(), train, "training images in their original order");
        assertEquals(val.stream().sorted().toList(), val, "validation images in their original order");
        for (int i = 0; i < c.train().count(); i++) assertEquals(ids(c.train()).get(i) % 10, c.train().label(i), "labels travel with images");
        assertFalse(val.equals(expected.subList(0, 100)), "not simply the first images");
    }

    @Test
    void theCarveIsAFunctionOfTheSeed() {
        TrainTest d = data(500);
        assertArrayEquals(ValidationSplit.carve(d, 0.2, 5).test().pixels(), ValidationSplit.carve(d, 0.2, 5).test().pixels());
        assertNotEquals(Arrays.toString(ValidationSplit.carve(d, 0.2, 5).test().pixels()),
                Arrays.toString(ValidationSplit.carve(d, 0.2, 6).test().pixels()));
        // a smaller share holds out a subset of a larger one's images: both take the lowest-ranked
        assertEquals(true, ids(ValidationSplit.carve(d, 0.5, 5).test()).containsAll(ids(ValidationSplit.carve(d, 0.1, 5).test())));
    }

    @Test
    void atLeastOneHeldOutAndBadSharesRefused() {
        assertEquals(1, ValidationSplit.carve(data(5), 0.1, 1).test().count());
        assertThrows(IllegalArgumentException.class, () -> ValidationSplit.carve(data(1), 0.5, 1));
        for (double bad : new double[] {0, -0.1, 0.51, Double.NaN}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ValidationSplit.carve(data(100), bad, 1));
            assertEquals(true, e.getMessage().startsWith("--validation must be in (0, 0.5]"), e.getMessage());
        }
    }
}
