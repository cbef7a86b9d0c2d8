package io.sparsestep.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.concurrent.ForkJoinPool;
import org.junit.jupiter.api.Test;

class SynthDigitsTest {

    @Test
    void shapeAndDefaultsMatchMnist() {
        TrainTest tt = Datasets.load("synth-digits", null, 3, 200, 50);
        assertEquals(1, tt.channels());
        assertEquals(28, tt.height());
        assertEquals(28, tt.width());
        assertEquals(10, tt.classes());
        assertEquals(200, tt.train().count());
        assertEquals(50, tt.test().count());
        assertEquals(60_000, SynthDigits.DEFAULT_TRAIN);
        assertEquals(10_000, SynthDigits.DEFAULT_TEST);
    }

    @Test
    void classesAreBalanced() {
        TrainTest tt = SynthDigits.generate(5, 1003, 100);
        for (int c : tt.train().classCounts()) {
            assertTrue(c == 100 || c == 101, "per-class count " + c);
        }
        assertArrayEquals(new int[] {10, 10, 10, 10, 10, 10, 10, 10, 10, 10}, tt.test().classCounts());
    }

    @Test
    void sameSeedSameDataOtherSeedOtherData() {
        TrainTest a = SynthDigits.generate(42, 300, 30);
        TrainTest b = SynthDigits.generate(42, 300, 30);
        TrainTest c = SynthDigits.generate(43, 300, 30);
        assertArrayEquals(a.train().pixels(), b.train().pixels());
        assertArrayEquals(a.train().labels(), b.train().labels());
        assertArrayEquals(a.test().pixels(), b.test().pixels());
        assertFalse(Arrays.equals(a.train().pixels(), c.train().pixels()));
        assertFalse(Arrays.equals(a.train().labels(), c.train().labels()));
        // train and test are different draws, not the same images again
        assertFalse(Arrays.equals(Arrays.copyOf(a.train().pixels(), 30 * 784), a.test().pixels()));
    }

    @Test
    void outputDoesNotDependOnThreadCount() throws Exception {
        DatasetSplit parallel = SynthDigits.split("p", 9, 1, 400);
        DatasetSplit serial;
        try (ForkJoinPool one = new ForkJoinPool(1)) {
            serial = one.submit(() -> SynthDigits.split("s", 9, 1, 400)).get();
        }
        assertArrayEquals(parallel.pixels(), serial.pixels());
        assertArrayEquals(parallel.labels(), serial.labels());
    }

    @Test
    void imagesLookLikeDigitsOnADarkBackground() {
        DatasetSplit s = SynthDigits.generate(1, 500, 10).train();
        byte[] px = s.pixels();
        int corners = 0, cornerSum = 0, bright = 0;
        for (int i = 0; i < s.count(); i++) {
            int at = i * 784;
            for (int k : new int[] {0, 27, 27 * 28, 783}) {
                cornerSum += px[at + k] & 0xFF;
                corners++;
            }
            int ink = 0;
            for (int k = 0; k < 784; k++) {
                if ((px[at + k] & 0xFF) > 100) {
                    ink++;
                }
            }
            // a digit covers some, but far from all, of the image (MNIST: about 10-20%)
            assertTrue(ink >= 20 && ink <= 300, "image " + i + " has " + ink + " bright pixels");
            bright += ink;
        }
        assertTrue(cornerSum / (double) corners < 20, "corners are background");
        assertTrue(bright / (double) s.count() > 60, "mean ink " + bright / (double) s.count());
    }

    /**
     * A linear classifier must learn the digits well above chance but stay clearly below
     * what a convnet reaches, as on MNIST; otherwise the dataset cannot tell LeNet from
     * logistic regression. (With all 60000 images, linear models reach about 87-88%.)
     */
    @Test
    void linearModelLearnsButStaysBelowAConvnet() {
        TrainTest tt = SynthDigits.generate(2024, 4000, 1000);
        SoftmaxRegression model = new SoftmaxRegression(tt.train());
        model.train(tt.train(), 2, 0.01, 1);
        double accuracy = model.accuracy(tt.test());
        System.out.printf("synth-digits: softmax regression, 4000 train / 1000 test, 2 epochs: test accuracy %.3f%n", accuracy);
        assertTrue(accuracy > 0.5, "linear accuracy " + accuracy + " should be well above chance");
        assertTrue(accuracy < 0.97, "linear accuracy " + accuracy + " should stay below a convnet's");
    }
}
