package io.sparsestep.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class DatasetSplitTest {

    @Test
    void validatesSizesAndLabels() {
        assertThrows(IllegalArgumentException.class,
                () -> new DatasetSplit("s", 2, 1, 2, 2, 10, new byte[7], new byte[2]));
        assertThrows(IllegalArgumentException.class,
                () -> new DatasetSplit("s", 2, 1, 2, 2, 10, new byte[8], new byte[3]));
        assertThrows(IllegalArgumentException.class,
                () -> new DatasetSplit("s", 2, 0, 2, 2, 10, new byte[0], new byte[2]));
        assertThrows(IllegalArgumentException.class,
                () -> new DatasetSplit("s", 1, 1, 1, 1, 1, new byte[1], new byte[1]));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new DatasetSplit("s", 2, 1, 1, 1, 10, new byte[2], new byte[] {3, 10}));
        assertTrue(e.getMessage().contains("label 10 of image 1"), e.getMessage());
        // labels are unsigned: byte -56 is class 200
        assertEquals(200, new DatasetSplit("s", 1, 1, 1, 1, 256, new byte[1], new byte[] {(byte) 200}).label(0));
    }

    @Test
    void headKeepsTheFirstImages() {
        byte[] px = {1, 2, 3, 4, 5, 6};
        DatasetSplit s = new DatasetSplit("s", 3, 1, 1, 2, 4, px, new byte[] {0, 1, 2});
        DatasetSplit two = s.head(2);
        assertEquals(2, two.count());
        assertArrayEquals(new byte[] {1, 2, 3, 4}, two.pixels());
        assertArrayEquals(new byte[] {0, 1}, two.labels());
        assertSame(s, s.head(0));
        assertSame(s, s.head(5));
        assertArrayEquals(new int[] {1, 1, 1, 0}, s.classCounts());
    }

    @Test
    void trainAndTestMustAgreeInShape() {
        DatasetSplit a = new DatasetSplit("a", 1, 1, 2, 2, 10, new byte[4], new byte[1]);
        DatasetSplit b = new DatasetSplit("b", 1, 1, 2, 2, 5, new byte[4], new byte[1]);
        assertThrows(IllegalArgumentException.class, () -> new TrainTest(a, b));
        TrainTest ok = new TrainTest(a, a);
        // an empty split (possible for a hand-built DatasetSplit) cannot be trained or tested on
        DatasetSplit empty = new DatasetSplit("e/test", 0, 1, 2, 2, 10, new byte[0], new byte[0]);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new TrainTest(a, empty));
        assertTrue(e.getMessage().startsWith("e/test: 0 images"), e.getMessage());
        assertEquals(10, ok.classes());
        assertEquals(2, ok.height());
    }
}
