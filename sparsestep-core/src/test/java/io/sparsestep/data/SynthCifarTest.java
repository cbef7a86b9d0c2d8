package io.sparsestep.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.concurrent.ForkJoinPool;
import org.junit.jupiter.api.Test;

class SynthCifarTest {

    @Test
    void shapeAndDefaultsMatchCifar10() {
        TrainTest tt = SynthCifar.generate(3, 100, 20);
        assertEquals(3, tt.channels());
        assertEquals(32, tt.height());
        assertEquals(32, tt.width());
        assertEquals(10, tt.classes());
        assertEquals(50_000, SynthCifar.DEFAULT_TRAIN);
        assertEquals(10_000, SynthCifar.DEFAULT_TEST);
        assertArrayEquals(new int[] {10, 10, 10, 10, 10, 10, 10, 10, 10, 10}, tt.train().classCounts());
    }

    @Test
    void deterministicPerSeedAndIndependentOfThreads() throws Exception {
        TrainTest a = SynthCifar.generate(8, 200, 20);
        TrainTest b = SynthCifar.generate(8, 200, 20);
        assertArrayEquals(a.train().pixels(), b.train().pixels());
        assertArrayEquals(a.test().labels(), b.test().labels());
        assertFalse(Arrays.equals(a.train().pixels(), SynthCifar.generate(9, 200, 20).train().pixels()));
        DatasetSplit serial;
        try (ForkJoinPool one = new ForkJoinPool(1)) {
            serial = one.submit(() -> SynthCifar.split("s", 8, 3, 200)).get();
        }
        assertArrayEquals(a.train().pixels(), serial.pixels());
    }

    @Test
    void shapeDistancesAreSignedDistancesNearTheOutline() {
        // disc of radius 10: inside, on and outside the rim
        assertEquals(-10, SynthCifar.shapeDistance(0, 0, 0, 10), 1e-12);
        assertEquals(0, SynthCifar.shapeDistance(0, 6, 8, 10), 1e-12);
        // square of half side 8: edge at x = 8
        assertEquals(1, SynthCifar.shapeDistance(1, 9, 3, 10), 1e-12);
        // triangle with circumradius 10 has inradius 5: the flat side opposite a vertex
        assertEquals(0, SynthCifar.shapeDistance(2, 0, 5, 10), 1e-9);
        assertTrue(SynthCifar.shapeDistance(2, 0, 0, 10) < 0);
        // ring between radii 4 and 10: the hole is outside
        assertEquals(4, SynthCifar.shapeDistance(3, 0, 0, 10), 1e-12);
        assertEquals(-3, SynthCifar.shapeDistance(3, 7, 0, 10), 1e-12);
        // plus sign: the arm reaches x = 10, the corner between arms is outside
        assertEquals(0, SynthCifar.shapeDistance(4, 10, 0, 10), 1e-12);
        assertTrue(SynthCifar.shapeDistance(4, 7, 7, 10) > 0);
    }

    @Test
    void hsvGivesTheExpectedPrimaries() {
        assertArrayEquals(new float[] {1, 0, 0}, SynthCifar.hsv(0, 1, 1));
        assertArrayEquals(new float[] {0, 1, 0}, SynthCifar.hsv(120, 1, 1));
        assertArrayEquals(new float[] {0, 0, 1}, SynthCifar.hsv(-120, 1, 1));
        assertArrayEquals(new float[] {0.5f, 0.5f, 0.5f}, SynthCifar.hsv(77, 0, 0.5));
    }

    /**
     * Learnable, but not by a linear model reading pixel colours: shapes move, rotate and
     * change colour, so logistic regression stays far below what a convnet reaches.
     */
    @Test
    void linearModelIsAboveChanceButFarFromSolvingIt() {
        TrainTest tt = SynthCifar.generate(77, 3000, 1000);
        SoftmaxRegression model = new SoftmaxRegression(tt.train());
        model.train(tt.train(), 2, 0.002, 1);
        double accuracy = model.accuracy(tt.test());
        System.out.printf("synth-cifar: softmax regression, 3000 train / 1000 test, 2 epochs: test accuracy %.3f%n", accuracy);
        assertTrue(accuracy > 0.13, "linear accuracy " + accuracy + " should be above chance (0.10)");
        assertTrue(accuracy < 0.6, "linear accuracy " + accuracy + " should be far from solving it");
    }
}
