package io.sparsestep.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CifarBinaryTest {
    private static final int IMAGE = 3072;
    private static final int PER_BATCH = 3;

    @TempDir
    Path dir;

    /** Pixel byte k of global image i: distinct for every image, so order mistakes show. */
    private static byte pixel(int image, int k) {
        return (byte) (k * 5 + image * 11 + k / 1024);
    }

    /** CIFAR-10 records: one label byte, then 3072 pixels; global images first..first+labels.length-1. */
    private static byte[] cifar10Records(int first, byte[] labels) {
        byte[] out = new byte[labels.length * (1 + IMAGE)];
        for (int r = 0; r < labels.length; r++) {
            int at = r * (1 + IMAGE);
            out[at] = labels[r];
            for (int k = 0; k < IMAGE; k++) {
                out[at + 1 + k] = pixel(first + r, k);
            }
        }
        return out;
    }

    private static byte[] cifar100Records(int first, byte[] coarse, byte[] fine) {
        byte[] out = new byte[fine.length * (2 + IMAGE)];
        for (int r = 0; r < fine.length; r++) {
            int at = r * (2 + IMAGE);
            out[at] = coarse[r];
            out[at + 1] = fine[r];
            for (int k = 0; k < IMAGE; k++) {
                out[at + 2 + k] = pixel(first + r, k);
            }
        }
        return out;
    }

    /** Train labels of CIFAR-10 image i (batch b = i / 3). */
    private static byte trainLabel(int i) {
        return (byte) ((i * 3 + 1) % 10);
    }

    private static void writeCifar10(Path folder) throws IOException {
        for (int b = 0; b < 5; b++) {
            byte[] labels = new byte[PER_BATCH];
            for (int r = 0; r < PER_BATCH; r++) {
                labels[r] = trainLabel(b * PER_BATCH + r);
            }
            IdxFiles.write(folder, "data_batch_" + (b + 1) + ".bin", cifar10Records(b * PER_BATCH, labels));
        }
        IdxFiles.write(folder, "test_batch.bin", cifar10Records(100, new byte[] {9, 0}));
    }

    private static byte[] expectedPixels(int first, int count) {
        byte[] p = new byte[count * IMAGE];
        for (int i = 0; i < count; i++) {
            for (int k = 0; k < IMAGE; k++) {
                p[i * IMAGE + k] = pixel(first + i, k);
            }
        }
        return p;
    }

    private DataException failure(String id, String file) {
        DataException e = assertThrows(DataException.class, () -> Datasets.load(id, dir, 1));
        assertTrue(e.getMessage().contains(file), () -> "message should name " + file + ": " + e.getMessage());
        assertFalse(e.getMessage().contains("\n"), "one-line message");
        return e;
    }

    private static void assertMentions(DataException e, String... parts) {
        for (String p : parts) {
            assertTrue(e.getMessage().contains(p), () -> "message should contain '" + p + "': " + e.getMessage());
        }
    }

    @Test
    void readsCifar10BatchesInOrderFromTheExtractedFolder() throws IOException {
        writeCifar10(dir.resolve("cifar-10-batches-bin"));
        TrainTest tt = Datasets.load("cifar10", dir, 1);
        assertEquals(3, tt.channels());
        assertEquals(32, tt.height());
        assertEquals(32, tt.width());
        assertEquals(10, tt.classes());
        assertEquals(Datasets.shape("cifar10"), Datasets.Shape.of(tt));
        assertEquals(5 * PER_BATCH, tt.train().count());
        assertArrayEquals(expectedPixels(0, 5 * PER_BATCH), tt.train().pixels());
        for (int i = 0; i < 5 * PER_BATCH; i++) {
            assertEquals(trainLabel(i), tt.train().label(i), "label of image " + i);
        }
        assertArrayEquals(expectedPixels(100, 2), tt.test().pixels());
        assertArrayEquals(new byte[] {9, 0}, tt.test().labels());
    }

    @Test
    void acceptsTheFolderItselfAndLimits() throws IOException {
        writeCifar10(dir);
        TrainTest tt = CifarBinary.loadCifar10(dir, 4, 1);
        assertEquals(4, tt.train().count());
        assertArrayEquals(expectedPixels(0, 4), tt.train().pixels());
        assertEquals(1, tt.test().count());
        assertEquals(9, tt.test().label(0));
    }

    @Test
    void cifar100UsesTheFineLabel() throws IOException {
        Path folder = dir.resolve("cifar-100-binary");
        IdxFiles.write(folder, "train.bin", cifar100Records(0, new byte[] {19, 3, 0}, new byte[] {99, 42, 7}));
        IdxFiles.write(folder, "test.bin", cifar100Records(50, new byte[] {5}, new byte[] {64}));
        TrainTest tt = Datasets.load("cifar100", dir, 1);
        assertEquals(100, tt.classes());
        assertEquals(Datasets.shape("cifar100"), Datasets.Shape.of(tt));
        assertArrayEquals(new byte[] {99, 42, 7}, tt.train().labels());
        assertArrayEquals(expectedPixels(0, 3), tt.train().pixels());
        assertArrayEquals(new byte[] {64}, tt.test().labels());
        assertArrayEquals(expectedPixels(50, 1), tt.test().pixels());
    }

    @Test
    void truncatedBatchIsNotAMultipleOfTheRecordSize() throws IOException {
        writeCifar10(dir);
        Path batch = dir.resolve("data_batch_3.bin");
        byte[] full = Files.readAllBytes(batch);
        Files.write(batch, Arrays.copyOf(full, full.length - 100));
        assertMentions(failure("cifar10", "data_batch_3.bin"), "truncated or wrong image size: "
                + (full.length - 100) + " bytes is not a multiple of 3073-byte records");
    }

    @Test
    void cifar100FileWithCifar10RecordsHasTheWrongRecordSize() throws IOException {
        IdxFiles.write(dir, "train.bin", cifar10Records(0, new byte[] {1, 2}));
        IdxFiles.write(dir, "test.bin", cifar100Records(0, new byte[] {1}, new byte[] {2}));
        assertMentions(failure("cifar100", "train.bin"), "not a multiple of 3074-byte records");
    }

    @Test
    void labelOutOfRangeNamesTheRecord() throws IOException {
        writeCifar10(dir);
        IdxFiles.write(dir, "test_batch.bin", cifar10Records(0, new byte[] {1, 2, 3, 10}));
        assertMentions(failure("cifar10", "test_batch.bin"), "label 10 of record 3 is out of range 0..9");
    }

    @Test
    void cifar100FineAndCoarseLabelsAreChecked() throws IOException {
        IdxFiles.write(dir, "train.bin", cifar100Records(0, new byte[] {1, 2}, new byte[] {3, (byte) 100}));
        IdxFiles.write(dir, "test.bin", cifar100Records(0, new byte[] {1}, new byte[] {2}));
        assertMentions(failure("cifar100", "train.bin"), "label 100 of record 1 is out of range 0..99");
        IdxFiles.write(dir, "train.bin", cifar100Records(0, new byte[] {1, 20}, new byte[] {3, 4}));
        assertMentions(failure("cifar100", "train.bin"), "coarse label 20 of record 1 is out of range 0..19");
    }

    @Test
    void emptyFileIsReported() throws IOException {
        writeCifar10(dir);
        Files.write(dir.resolve("data_batch_5.bin"), new byte[0]);
        assertMentions(failure("cifar10", "data_batch_5.bin"), "0 images; the file is empty");
        writeCifar10(dir);
        Files.write(dir.resolve("test_batch.bin"), new byte[0]);
        assertMentions(failure("cifar10", "test_batch.bin"), "0 images; the file is empty");
    }

    @Test
    void missingBatchSaysWhatWasLookedForWhere() throws IOException {
        writeCifar10(dir.resolve("cifar-10-batches-bin"));
        Files.delete(dir.resolve("cifar-10-batches-bin/test_batch.bin"));
        assertMentions(failure("cifar10", "test_batch.bin"), "not found",
                dir.resolve("cifar-10-batches-bin").toString(), "binary version");
    }

    @Test
    void pythonVersionFolderGetsAHint() throws IOException {
        Files.createDirectories(dir.resolve("cifar-10-batches-py"));
        assertMentions(failure("cifar10", "data_batch_1.bin"), "cifar-10-batches-py is the Python version");
    }

    @Test
    void noDataDirectoryPointsAtTheOption() {
        DataException e = assertThrows(DataException.class, () -> Datasets.load("cifar100", null, 1));
        assertMentions(e, "cifar100", "--data-dir");
    }
}
