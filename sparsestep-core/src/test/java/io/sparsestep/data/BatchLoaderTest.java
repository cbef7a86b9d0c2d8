package io.sparsestep.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class BatchLoaderTest {
    /** Leaves pixel values as bytes: value = pixel/255, so tests can read the bytes back. */
    private static final Normalization UNIT = new Normalization(new float[] {0f}, new float[] {1f / 255f});

    /**
     * {@code count} 1x2x3 images; the first pixel of image i is i (so it can be identified)
     * and the label is i mod 4.
     */
    private static DatasetSplit indexed(int count) {
        byte[] px = new byte[count * 6];
        byte[] labels = new byte[count];
        for (int i = 0; i < count; i++) {
            px[i * 6] = (byte) i;
            for (int k = 1; k < 6; k++) {
                px[i * 6 + k] = (byte) (i + 10 * k);
            }
            labels[i] = (byte) (i % 4);
        }
        return new DatasetSplit("indexed", count, 1, 2, 3, 4, px, labels);
    }

    /** The sample ids of one epoch, in the order served, read back from the first pixel. */
    private static List<Integer> epochOrder(BatchLoader loader, int epoch, List<Integer> batchSizes) {
        loader.startEpoch(epoch);
        List<Integer> seen = new ArrayList<>();
        int size = loader.imageFloats();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment images = arena.allocate((long) loader.batchSize() * size * Float.BYTES);
            MemorySegment labels = arena.allocate((long) loader.batchSize() * Float.BYTES);
            int n;
            while ((n = loader.next(images, labels)) > 0) {
                if (batchSizes != null) {
                    batchSizes.add(n);
                }
                for (int b = 0; b < n; b++) {
                    int id = Math.round(images.getAtIndex(ValueLayout.JAVA_FLOAT, (long) b * size));
                    seen.add(id);
                    assertEquals(id % 4, labels.getAtIndex(ValueLayout.JAVA_FLOAT, b), 0f, "label of sample " + id);
                    for (int k = 1; k < 6; k++) {
                        assertEquals((id + 10 * k) & 0xFF, images.getAtIndex(ValueLayout.JAVA_FLOAT, (long) b * size + k), 1e-4f);
                    }
                }
            }
            assertEquals(0, loader.next(images, labels), "epoch stays exhausted");
        }
        return seen;
    }

    @Test
    void everySampleExactlyOncePerEpochWithASmallerLastBatch() {
        BatchLoader loader = new BatchLoader(indexed(37), 8, true, false, 7, UNIT);
        assertEquals(5, loader.batches());
        for (int epoch = 0; epoch < 3; epoch++) {
            List<Integer> sizes = new ArrayList<>();
            List<Integer> order = epochOrder(loader, epoch, sizes);
            assertEquals(List.of(8, 8, 8, 8, 5), sizes);
            List<Integer> sorted = new ArrayList<>(order);
            sorted.sort(null);
            List<Integer> all = new ArrayList<>();
            for (int i = 0; i < 37; i++) {
                all.add(i);
            }
            assertEquals(all, sorted, "epoch " + epoch + " covers every sample once");
        }
    }

    @Test
    void orderIsAFunctionOfSeedAndEpochOnly() {
        DatasetSplit split = indexed(50);
        BatchLoader a = new BatchLoader(split, 8, true, false, 11, UNIT);
        BatchLoader b = new BatchLoader(split, 13, true, false, 11, UNIT); // other batch size
        List<Integer> a2 = epochOrder(a, 2, null);
        epochOrder(b, 0, null);
        epochOrder(b, 1, null);
        assertEquals(a2, epochOrder(b, 2, null), "same seed and epoch, same order, whatever came before");
        assertEquals(a2, epochOrder(a, 2, null), "an epoch can be replayed");
        assertFalse(a2.equals(epochOrder(a, 3, null)), "another epoch is shuffled differently");
        BatchLoader c = new BatchLoader(split, 8, true, false, 12, UNIT);
        assertFalse(a2.equals(epochOrder(c, 2, null)), "another seed is shuffled differently");
        List<Integer> identity = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            identity.add(i);
        }
        assertFalse(identity.equals(a2), "shuffled");
        assertEquals(identity, epochOrder(new BatchLoader(split, 8, false, false, 11, UNIT), 5, null));
    }

    @Test
    void batchesRoundsUp() {
        assertEquals(1, new BatchLoader(indexed(5), 8, false, false, 0, UNIT).batches());
        assertEquals(2, new BatchLoader(indexed(16), 8, false, false, 0, UNIT).batches());
        assertEquals(3, new BatchLoader(indexed(17), 8, false, false, 0, UNIT).batches());
    }

    @Test
    void normalisesEachChannelWithTheTrainingStatistics() {
        int count = 5, h = 3, w = 2, plane = h * w;
        byte[] px = new byte[count * 3 * plane];
        for (int k = 0; k < px.length; k++) {
            px[k] = (byte) ((k * 37 + (k / plane % 3) * 60) % 256);
        }
        DatasetSplit split = new DatasetSplit("rgb", count, 3, h, w, 10, px, new byte[count]);
        Normalization norm = Normalization.of(split);

        // mean and population std of each channel, from a plain double loop
        for (int c = 0; c < 3; c++) {
            double sum = 0, sumSq = 0;
            for (int i = 0; i < count; i++) {
                for (int k = 0; k < plane; k++) {
                    double v = (px[(i * 3 + c) * plane + k] & 0xFF) / 255.0;
                    sum += v;
                    sumSq += v * v;
                }
            }
            double mean = sum / (count * plane);
            double std = Math.sqrt(sumSq / (count * plane) - mean * mean);
            assertEquals(mean, norm.mean()[c], 1e-6, "mean of channel " + c);
            assertEquals(std, norm.std()[c], 1e-6, "std of channel " + c);
        }

        BatchLoader loader = new BatchLoader(split, 2, false, false, 0, norm);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment images = arena.allocate(2L * 3 * plane * Float.BYTES);
            MemorySegment labels = arena.allocate(2L * Float.BYTES);
            int first = 0, n;
            double sum = 0, sumSq = 0;
            while ((n = loader.next(images, labels)) > 0) {
                for (int b = 0; b < n; b++) {
                    for (int c = 0; c < 3; c++) {
                        for (int k = 0; k < plane; k++) {
                            long at = (long) (b * 3 + c) * plane + k;
                            double expected = ((px[((first + b) * 3 + c) * plane + k] & 0xFF) / 255.0 - norm.mean()[c]) / norm.std()[c];
                            float got = images.getAtIndex(ValueLayout.JAVA_FLOAT, at);
                            assertEquals(expected, got, 1e-5);
                            if (c == 1) {
                                sum += got;
                                sumSq += got * got;
                            }
                        }
                    }
                }
                first += n;
            }
            // and therefore the normalised training data has mean 0 and std 1 per channel
            assertEquals(0, sum / (count * plane), 1e-5);
            assertEquals(1, Math.sqrt(sumSq / (count * plane)), 1e-5);
        }
    }

    @Test
    void constantChannelGetsUnitStd() {
        DatasetSplit flat = new DatasetSplit("flat", 2, 1, 2, 2, 2, new byte[] {9, 9, 9, 9, 9, 9, 9, 9}, new byte[2]);
        Normalization n = Normalization.of(flat);
        assertEquals(9 / 255.0, n.mean()[0], 1e-7);
        assertEquals(1f, n.std()[0]);
        assertEquals(0f, n.apply(0, 9), 1e-7);
    }

    @Test
    void cropAndFlipMatchHandWorkedExamples() {
        // a 1x3x4 image holding 1..12 row by row
        float[] in = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
        float[] out = new float[12];
        CropFlip.apply(in, 0, out, 0, 1, 3, 4, 0, 0, true);
        assertArrayEquals(new float[] {4, 3, 2, 1, 8, 7, 6, 5, 12, 11, 10, 9}, out);
        // crop window shifted right by 1 and down by 1: content moves up-left, zeros come in
        CropFlip.apply(in, 0, out, 0, 1, 3, 4, 1, 1, false);
        assertArrayEquals(new float[] {6, 7, 8, 0, 10, 11, 12, 0, 0, 0, 0, 0}, out);
        // window shifted left by 2 and up by 1, then mirrored
        CropFlip.apply(in, 0, out, 0, 1, 3, 4, -2, -1, true);
        assertArrayEquals(new float[] {0, 0, 0, 0, 2, 1, 0, 0, 6, 5, 0, 0}, out);
        // the largest shift moves a 3x4 image entirely out of view
        CropFlip.apply(in, 0, out, 0, 1, 3, 4, 4, 0, false);
        assertArrayEquals(new float[12], out);
    }

    /** Independent reference: build the padded image explicitly, cut the window, mirror it. */
    private static float[] reference(float[] img, int c, int h, int w, CropFlip.Draw d) {
        int p = CropFlip.PAD;
        float[] padded = new float[c * (h + 2 * p) * (w + 2 * p)];
        for (int ch = 0; ch < c; ch++) {
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    padded[(ch * (h + 2 * p) + y + p) * (w + 2 * p) + x + p] = img[(ch * h + y) * w + x];
                }
            }
        }
        float[] out = new float[c * h * w];
        for (int ch = 0; ch < c; ch++) {
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    float v = padded[(ch * (h + 2 * p) + y + p + d.dy()) * (w + 2 * p) + x + p + d.dx()];
                    int ox = d.flip() ? w - 1 - x : x;
                    out[(ch * h + y) * w + ox] = v;
                }
            }
        }
        return out;
    }

    @Test
    void augmentedBatchesAreCropFlipsDeterminedBySeedEpochAndSample() {
        int count = 40, c = 2, h = 5, w = 6, size = c * h * w;
        byte[] px = new byte[count * size];
        for (int k = 0; k < px.length; k++) {
            px[k] = (byte) (1 + k % 250); // never 0, so padding is distinguishable
        }
        DatasetSplit split = new DatasetSplit("aug", count, c, h, w, 3, px, new byte[count]);
        Normalization norm = new Normalization(new float[] {0f, 0f}, new float[] {1f / 255f, 1f / 255f});
        long seed = 99;
        int epoch = 3;
        BatchLoader loader = new BatchLoader(split, 16, false, true, seed, norm);
        loader.startEpoch(epoch);
        Set<Integer> dxs = new HashSet<>(), dys = new HashSet<>();
        Set<Boolean> flips = new HashSet<>();
        try (Arena arena = Arena.ofConfined()) {
            // one batch more than needed, filled with a marker that must survive past the batch
            MemorySegment images = arena.allocate((16L + 1) * size * Float.BYTES);
            MemorySegment labels = arena.allocate(16L * Float.BYTES);
            int first = 0, n;
            while ((n = loader.next(images, labels)) > 0) {
                for (int b = 0; b < n; b++) {
                    int sample = first + b;
                    CropFlip.Draw d = CropFlip.draw(seed, epoch, sample);
                    dxs.add(d.dx());
                    dys.add(d.dy());
                    flips.add(d.flip());
                    float[] img = new float[size];
                    for (int k = 0; k < size; k++) {
                        img[k] = px[sample * size + k] & 0xFF;
                    }
                    float[] got = new float[size];
                    MemorySegment.copy(images, ValueLayout.JAVA_FLOAT, (long) b * size * Float.BYTES, got, 0, size);
                    float[] want = reference(img, c, h, w, d);
                    for (int k = 0; k < size; k++) {
                        assertEquals(want[k], got[k], 1e-3f, "sample " + sample + " " + d + " float " + k);
                    }
                }
                first += n;
            }
            assertEquals(count, first);
        }
        assertEquals(2, flips.size(), "both flips occur");
        assertTrue(dxs.size() >= 7 && dys.size() >= 7, "offsets spread over -4..4: " + dxs + " " + dys);
        for (int v : dxs) {
            assertTrue(v >= -4 && v <= 4);
        }
        for (int v : dys) {
            assertTrue(v >= -4 && v <= 4);
        }
        assertEquals(CropFlip.draw(seed, epoch, 5), CropFlip.draw(seed, epoch, 5));
        int differ = 0;
        for (int s = 0; s < count; s++) {
            if (!CropFlip.draw(seed, epoch, s).equals(CropFlip.draw(seed, epoch + 1, s))) {
                differ++;
            }
        }
        assertTrue(differ > count / 2, "another epoch draws other augmentations");
    }

    @Test
    void writesOnlyTheBatchAndChecksSegmentSizes() {
        BatchLoader loader = new BatchLoader(indexed(10), 4, false, false, 0, UNIT);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment images = arena.allocate(5L * 6 * Float.BYTES);
            MemorySegment labels = arena.allocate(5L * Float.BYTES);
            images.fill((byte) 0x7f);
            assertEquals(4, loader.next(images, labels));
            float[] tail = new float[6];
            MemorySegment.copy(images, ValueLayout.JAVA_FLOAT, 4L * 6 * Float.BYTES, tail, 0, 6);
            for (float v : tail) {
                assertEquals(Float.intBitsToFloat(0x7f7f7f7f), v, "floats past the batch are untouched");
            }
            assertThrows(IllegalArgumentException.class,
                    () -> loader.next(arena.allocate(3L * 6 * Float.BYTES), labels));
            assertThrows(IllegalArgumentException.class,
                    () -> loader.next(images, arena.allocate(3L * Float.BYTES)));
        }
    }

    @Test
    void rejectsBadArguments() {
        DatasetSplit split = indexed(4);
        assertThrows(IllegalArgumentException.class, () -> new BatchLoader(split, 0, false, false, 0, UNIT));
        Normalization rgb = new Normalization(new float[3], new float[] {1, 1, 1});
        assertThrows(IllegalArgumentException.class, () -> new BatchLoader(split, 2, false, false, 0, rgb));
    }

    @Test
    void droppingThePartialLastBatchServesFullBatchesOfTheSameOrder() {
        BatchLoader keep = new BatchLoader(indexed(10), 4, true, false, 7, UNIT);
        BatchLoader drop = new BatchLoader(indexed(10), 4, true, false, 7, UNIT, true);
        assertEquals(3, keep.batches());
        assertEquals(2, keep.lastBatchSize());
        assertEquals(2, drop.batches(), "10 images in batches of 4: two full ones");
        assertEquals(4, drop.lastBatchSize());
        assertEquals(8, drop.samplesPerEpoch());
        Set<Set<Integer>> leftOut = new HashSet<>();
        for (int epoch = 0; epoch < 6; epoch++) {
            List<Integer> sizes = new ArrayList<>();
            List<Integer> served = epochOrder(drop, epoch, sizes);
            assertEquals(List.of(4, 4), sizes, "epoch " + epoch + " serves full batches only");
            List<Integer> all = epochOrder(keep, epoch, null);
            assertEquals(all.subList(0, 8), served, "the same shuffled order, less its last 10 mod 4 samples");
            leftOut.add(new HashSet<>(all.subList(8, 10)));
        }
        assertTrue(leftOut.size() > 1, "which samples are left out follows each epoch's shuffle");
    }

    @Test
    void droppingThePartialLastBatchNeedsOneFullBatch() {
        BatchLoader exact = new BatchLoader(indexed(8), 4, false, false, 1, UNIT, true);
        assertEquals(2, exact.batches(), "a split the batch divides loses nothing");
        assertEquals(4, exact.lastBatchSize());
        var e = assertThrows(IllegalArgumentException.class, () -> new BatchLoader(indexed(3), 4, false, false, 1, UNIT, true));
        assertTrue(e.getMessage().contains("--last-batch drop") && e.getMessage().contains("3 images"), e.getMessage());
    }
}
