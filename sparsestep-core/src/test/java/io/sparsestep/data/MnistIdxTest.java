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

class MnistIdxTest {
    // MNIST's own size: the mnist dataset accepts nothing else
    private static final int ROWS = 28;
    private static final int COLS = 28;
    private static final int TRAIN = 6;
    private static final int TEST = 3;
    private static final byte[] TRAIN_LABELS = {5, 0, 4, 1, 9, 2};
    private static final byte[] TEST_LABELS = {7, 2, 1};

    @TempDir
    Path dir;

    /** Writes a consistent four-file MNIST into {@code folder}, plain or gzipped. */
    private static void writeMnist(Path folder, boolean gz, boolean dotted) throws IOException {
        String sep = dotted ? "." : "-";
        String ext = gz ? ".gz" : "";
        put(folder, "train-images" + sep + "idx3-ubyte" + ext,
                IdxFiles.images(2051, TRAIN, ROWS, COLS, IdxFiles.pattern(TRAIN, ROWS * COLS)), gz);
        put(folder, "train-labels" + sep + "idx1-ubyte" + ext, IdxFiles.labels(2049, TRAIN, TRAIN_LABELS), gz);
        put(folder, "t10k-images" + sep + "idx3-ubyte" + ext,
                IdxFiles.images(2051, TEST, ROWS, COLS, IdxFiles.pattern(TEST, ROWS * COLS)), gz);
        put(folder, "t10k-labels" + sep + "idx1-ubyte" + ext, IdxFiles.labels(2049, TEST, TEST_LABELS), gz);
    }

    private static void put(Path folder, String name, byte[] content, boolean gz) throws IOException {
        IdxFiles.write(folder, name, gz ? IdxFiles.gzip(content) : content);
    }

    private static void assertContents(TrainTest tt) {
        assertEquals(1, tt.channels());
        assertEquals(ROWS, tt.height());
        assertEquals(COLS, tt.width());
        assertEquals(10, tt.classes());
        assertEquals(Datasets.shape("mnist"), Datasets.Shape.of(tt));
        assertEquals(TRAIN, tt.train().count());
        assertEquals(TEST, tt.test().count());
        assertArrayEquals(IdxFiles.pattern(TRAIN, ROWS * COLS), tt.train().pixels());
        assertArrayEquals(TRAIN_LABELS, tt.train().labels());
        assertArrayEquals(IdxFiles.pattern(TEST, ROWS * COLS), tt.test().pixels());
        assertArrayEquals(TEST_LABELS, tt.test().labels());
    }

    /** The failure message for {@code dir}, checked to be one line naming {@code file}. */
    private DataException failure(String file) {
        DataException e = assertThrows(DataException.class, () -> MnistIdx.load(dir, 0, 0));
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
    void readsPlainFilesFromTheDataDirectory() throws IOException {
        writeMnist(dir, false, false);
        assertContents(Datasets.load("mnist", dir, 1));
    }

    @Test
    void readsGzipFilesFromTorchvisionLayoutUnderTheParent() throws IOException {
        writeMnist(dir.resolve("MNIST/raw"), true, false);
        assertContents(Datasets.load("mnist", dir, 1));
        // and also when pointed at MNIST itself, the folder extracted from the archive
        assertContents(Datasets.load("mnist", dir.resolve("MNIST"), 1));
    }

    @Test
    void readsDottedNamesInLowercaseSubfolder() throws IOException {
        writeMnist(dir.resolve("mnist"), false, true);
        assertContents(MnistIdx.load(dir, 0, 0));
    }

    @Test
    void recognisesGzipByContentEvenWithoutTheSuffix() throws IOException {
        // some browsers store the .gz bytes under the name without .gz, or the other way round
        writeMnist(dir, false, false);
        Path images = dir.resolve("train-images-idx3-ubyte");
        Files.write(images, IdxFiles.gzip(Files.readAllBytes(images)));
        assertContents(MnistIdx.load(dir, 0, 0));
    }

    @Test
    void limitsKeepTheFirstImages() throws IOException {
        writeMnist(dir, true, false);
        TrainTest tt = Datasets.load("mnist", dir, 1, 4, 2);
        assertEquals(4, tt.train().count());
        assertEquals(2, tt.test().count());
        assertArrayEquals(Arrays.copyOf(IdxFiles.pattern(TRAIN, ROWS * COLS), 4 * ROWS * COLS), tt.train().pixels());
        assertArrayEquals(Arrays.copyOf(TRAIN_LABELS, 4), tt.train().labels());
        assertArrayEquals(Arrays.copyOf(TEST_LABELS, 2), tt.test().labels());
    }

    @Test
    void truncatedImagesFileSaysHowManyBytesWereExpected() throws IOException {
        writeMnist(dir, false, false);
        Path images = dir.resolve("train-images-idx3-ubyte");
        byte[] full = Files.readAllBytes(images);
        Files.write(images, Arrays.copyOf(full, full.length - 5));
        int expected = 16 + TRAIN * ROWS * COLS;
        assertMentions(failure("train-images-idx3-ubyte"),
                "truncated: expected " + expected + " bytes, found " + (expected - 5), "re-download MNIST");
    }

    @Test
    void fileShorterThanItsHeaderIsTruncated() throws IOException {
        writeMnist(dir, false, false);
        Files.write(dir.resolve("t10k-labels-idx1-ubyte"), new byte[] {0, 0, 8, 1, 0, 0});
        assertMentions(failure("t10k-labels-idx1-ubyte"), "truncated: 6 bytes is shorter than the 8-byte IDX labels header");
        Files.write(dir.resolve("t10k-labels-idx1-ubyte"), new byte[] {0, 0, 8});
        assertMentions(failure("t10k-labels-idx1-ubyte"), "truncated: 3 bytes");
    }

    @Test
    void trailingBytesAreReported() throws IOException {
        writeMnist(dir, false, false);
        Path labels = dir.resolve("train-labels-idx1-ubyte");
        byte[] full = Files.readAllBytes(labels);
        Files.write(labels, Arrays.copyOf(full, full.length + 2));
        assertMentions(failure("train-labels-idx1-ubyte"),
                "trailing bytes: expected " + (8 + TRAIN) + " bytes, found " + (8 + TRAIN + 2));
    }

    @Test
    void truncatedGzipIsReported() throws IOException {
        writeMnist(dir, true, false);
        Path images = dir.resolve("t10k-images-idx3-ubyte.gz");
        byte[] full = Files.readAllBytes(images);
        Files.write(images, Arrays.copyOf(full, full.length / 2));
        assertMentions(failure("t10k-images-idx3-ubyte.gz"), "truncated gzip");
    }

    @Test
    void wrongMagicNumberIsReported() throws IOException {
        writeMnist(dir, false, false);
        IdxFiles.write(dir, "train-images-idx3-ubyte",
                IdxFiles.images(2052, TRAIN, ROWS, COLS, IdxFiles.pattern(TRAIN, ROWS * COLS)));
        assertMentions(failure("train-images-idx3-ubyte"), "wrong magic number 2052, expected 2051");
    }

    @Test
    void swappedImagesAndLabelsFilesAreDiagnosed() throws IOException {
        writeMnist(dir, false, false);
        IdxFiles.write(dir, "t10k-images-idx3-ubyte", IdxFiles.labels(2049, TEST, TEST_LABELS));
        assertMentions(failure("t10k-images-idx3-ubyte"), "wrong magic number 2049", "labels file");
    }

    @Test
    void labelOutOfRangeNamesItsIndex() throws IOException {
        writeMnist(dir, false, false);
        byte[] bad = TRAIN_LABELS.clone();
        bad[3] = 10;
        IdxFiles.write(dir, "train-labels-idx1-ubyte", IdxFiles.labels(2049, TRAIN, bad));
        assertMentions(failure("train-labels-idx1-ubyte"), "label 10 at index 3 is out of range 0..9");
    }

    @Test
    void imageAndLabelCountsMustMatch() throws IOException {
        writeMnist(dir, false, false);
        IdxFiles.write(dir, "t10k-labels-idx1-ubyte", IdxFiles.labels(2049, TEST - 1, Arrays.copyOf(TEST_LABELS, TEST - 1)));
        assertMentions(failure("t10k-labels-idx1-ubyte"), "holds " + (TEST - 1) + " labels", "holds " + TEST + " images");
    }

    @Test
    void badImageSizeInHeaderIsReported() throws IOException {
        writeMnist(dir, false, false);
        IdxFiles.write(dir, "train-images-idx3-ubyte", IdxFiles.images(2051, TRAIN, 0, COLS, new byte[0]));
        assertMentions(failure("train-images-idx3-ubyte"), "bad image size 0x" + COLS);
    }

    @Test
    void testImagesOfAnotherSizeThanMnistAreRejected() throws IOException {
        writeMnist(dir, false, false);
        IdxFiles.write(dir, "t10k-images-idx3-ubyte", IdxFiles.images(2051, TEST, 20, 20, IdxFiles.pattern(TEST, 400)));
        assertMentions(failure("t10k-images-idx3-ubyte"), "images are 20x20, expected MNIST's 28x28");
    }

    @Test
    void trainAndTestBothOfAnotherSizeAreRejectedThoughTheyAgree() throws IOException {
        writeMnist(dir, false, false);
        IdxFiles.write(dir, "train-images-idx3-ubyte", IdxFiles.images(2051, TRAIN, 20, 20, IdxFiles.pattern(TRAIN, 400)));
        IdxFiles.write(dir, "t10k-images-idx3-ubyte", IdxFiles.images(2051, TEST, 20, 20, IdxFiles.pattern(TEST, 400)));
        assertMentions(failure("train-images-idx3-ubyte"), "images are 20x20, expected MNIST's 28x28");
        // a non-square image is named with rows first, as the IDX header stores them
        IdxFiles.write(dir, "train-images-idx3-ubyte", IdxFiles.images(2051, TRAIN, 28, 27, IdxFiles.pattern(TRAIN, 756)));
        assertMentions(failure("train-images-idx3-ubyte"), "images are 28x27, expected MNIST's 28x28");
    }

    @Test
    void theGeneralReaderTakesAnyImageSize() throws IOException {
        Path images = IdxFiles.write(dir, "img", IdxFiles.images(2051, 2, 4, 3, IdxFiles.pattern(2, 12)));
        Path labels = IdxFiles.write(dir, "lbl", IdxFiles.labels(2049, 2, new byte[] {3, 8}));
        DatasetSplit split = MnistIdx.read("small", images, labels, 0);
        assertEquals(4, split.height());
        assertEquals(3, split.width());
        assertArrayEquals(IdxFiles.pattern(2, 12), split.pixels());
    }

    @Test
    void trainingFileWithNoImagesIsRejectedWhenLoading() throws IOException {
        writeMnist(dir, false, false);
        IdxFiles.write(dir, "train-images-idx3-ubyte", IdxFiles.images(2051, 0, ROWS, COLS, new byte[0]));
        IdxFiles.write(dir, "train-labels-idx1-ubyte", IdxFiles.labels(2049, 0, new byte[0]));
        DataException e = failure("train-images-idx3-ubyte");
        assertTrue(e.getMessage().startsWith(dir.resolve("train-images-idx3-ubyte") + ": 0 images; "), e.getMessage());
    }

    @Test
    void testFileWithNoImagesIsRejectedWhenLoading() throws IOException {
        writeMnist(dir, true, false);
        put(dir, "t10k-images-idx3-ubyte.gz", IdxFiles.images(2051, 0, ROWS, COLS, new byte[0]), true);
        put(dir, "t10k-labels-idx1-ubyte.gz", IdxFiles.labels(2049, 0, new byte[0]), true);
        DataException e = failure("t10k-images-idx3-ubyte.gz");
        assertTrue(e.getMessage().startsWith(dir.resolve("t10k-images-idx3-ubyte.gz") + ": 0 images; "), e.getMessage());
    }

    @Test
    void missingFileSaysWhatWasLookedForWhere() throws IOException {
        writeMnist(dir.resolve("mnist"), false, false);
        Files.delete(dir.resolve("mnist/t10k-labels-idx1-ubyte"));
        DataException e = failure("t10k-labels-idx1-ubyte");
        assertMentions(e, "not found", "t10k-labels-idx1-ubyte.gz", "t10k-labels.idx1-ubyte", dir.toString(),
                dir.resolve("mnist").toString());
    }

    @Test
    void missingOrNonexistentDataDirectoryPointsAtTheOption() {
        DataException none = assertThrows(DataException.class, () -> Datasets.load("mnist", null, 1));
        assertMentions(none, "mnist", "--data-dir");
        DataException absent = assertThrows(DataException.class, () -> Datasets.load("mnist", dir.resolve("nope"), 1));
        assertMentions(absent, dir.resolve("nope").toString(), "does not exist", "--data-dir");
    }
}
