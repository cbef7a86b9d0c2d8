package io.sparsestep.data;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * MNIST in its original IDX format: big-endian headers (magic 2051 = images with count, rows,
 * cols; magic 2049 = labels with count) followed by one unsigned byte per pixel or label.
 * Files may be plain or gzip-compressed; both the dashed names of the original download and
 * the dotted names some mirrors use are accepted.
 */
public final class MnistIdx {
    static final int IMAGES_MAGIC = 2051;
    static final int LABELS_MAGIC = 2049;
    static final int CLASSES = 10;
    /** Every MNIST image is 28x28; the models' input layers are planned for that shape. */
    static final int SIDE = 28;
    private static final String FIX = "re-download MNIST";
    private static final String DOWNLOAD = "run `sparsestep data fetch mnist --dir DIR` and pass --data-dir DIR, or download the four MNIST IDX files, e.g. from the torchvision mirror, into that folder";
    private static final List<String> SUB_FOLDERS = List.of("mnist", "MNIST", "mnist/raw", "MNIST/raw", "raw");

    private MnistIdx() {
    }

    /** Train (60000) and test (10000) images from {@code dataDir} or one of its usual sub-folders. */
    public static TrainTest load(Path dataDir, int trainLimit, int testLimit) {
        DataFiles.requireDataDir("mnist", dataDir, DOWNLOAD);
        List<Path> dirs = DataFiles.candidateDirs(dataDir, SUB_FOLDERS);
        List<Path> files = DataFiles.findTogether("mnist", dirs, List.of(
                spellings("train", "images", 3), spellings("train", "labels", 1),
                spellings("t10k", "images", 3), spellings("t10k", "labels", 1)), DOWNLOAD);
        // Both splits must be MNIST's 28x28, so train and test also agree with each other.
        DatasetSplit train = read("mnist/train", files.get(0), files.get(1), trainLimit, SIDE);
        DatasetSplit test = read("mnist/test", files.get(2), files.get(3), testLimit, SIDE);
        return new TrainTest(train, test);
    }

    /** "train-images-idx3-ubyte" and its ".gz" and dotted ("train-images.idx3-ubyte") variants. */
    static List<String> spellings(String split, String kind, int dims) {
        String dashed = split + "-" + kind + "-idx" + dims + "-ubyte";
        String dotted = split + "-" + kind + ".idx" + dims + "-ubyte";
        return List.of(dashed, dashed + ".gz", dotted, dotted + ".gz");
    }

    /**
     * One split from an images file and a labels file, of any image size; {@code limit <= 0}
     * keeps all images. A file with no images is rejected: training on it would average over
     * nothing (NaN loss) and testing would divide by zero.
     */
    public static DatasetSplit read(String name, Path imagesFile, Path labelsFile, int limit) {
        return read(name, imagesFile, labelsFile, limit, 0);
    }

    /** As {@link #read(String, Path, Path, int)}; {@code side > 0} requires side x side images. */
    static DatasetSplit read(String name, Path imagesFile, Path labelsFile, int limit, int side) {
        byte[] images = DataFiles.readMaybeGzip(imagesFile, FIX);
        byte[] labels = DataFiles.readMaybeGzip(labelsFile, FIX);

        checkHeader(imagesFile, images, IMAGES_MAGIC, 16, "images");
        int count = checkCount(imagesFile, readInt(images, 4));
        int rows = readInt(images, 8);
        int cols = readInt(images, 12);
        if (rows <= 0 || cols <= 0 || rows > 4096 || cols > 4096) {
            throw DataException.inFile(imagesFile, "bad image size " + rows + "x" + cols + " in the header", FIX);
        }
        if (side > 0 && (rows != side || cols != side)) {
            throw DataException.inFile(imagesFile, "images are " + rows + "x" + cols + ", expected MNIST's "
                    + side + "x" + side, "use the original MNIST files, or resize the images to " + side + "x" + side);
        }
        checkLength(imagesFile, images.length, 16L + (long) count * rows * cols);
        if (count == 0) {
            throw DataException.inFile(imagesFile, "0 images; a split needs at least one", FIX);
        }

        checkHeader(labelsFile, labels, LABELS_MAGIC, 8, "labels");
        int labelCount = checkCount(labelsFile, readInt(labels, 4));
        checkLength(labelsFile, labels.length, 8L + labelCount);
        if (labelCount != count) {
            throw DataException.inFile(labelsFile, "holds " + labelCount + " labels but " + imagesFile.getFileName()
                    + " holds " + count + " images", "use matching image and label files; " + FIX);
        }
        for (int i = 0; i < count; i++) {
            int label = labels[8 + i] & 0xFF;
            if (label >= CLASSES) {
                throw DataException.inFile(labelsFile, "label " + label + " at index " + i + " is out of range 0..9", FIX);
            }
        }

        int n = limit > 0 ? Math.min(limit, count) : count;
        byte[] pixels = Arrays.copyOfRange(images, 16, 16 + n * rows * cols);
        byte[] classes = Arrays.copyOfRange(labels, 8, 8 + n);
        return new DatasetSplit(name, n, 1, rows, cols, CLASSES, pixels, classes);
    }

    private static void checkHeader(Path file, byte[] data, int magic, int headerBytes, String kind) {
        if (data.length < 4) {
            throw DataException.inFile(file, "truncated: " + data.length + " bytes is shorter than the "
                    + headerBytes + "-byte IDX " + kind + " header", FIX);
        }
        int found = readInt(data, 0);
        if (found != magic) {
            String hint = found == (magic == IMAGES_MAGIC ? LABELS_MAGIC : IMAGES_MAGIC)
                    ? "this is an IDX " + (magic == IMAGES_MAGIC ? "labels" : "images") + " file; swap the file names"
                    : FIX;
            throw DataException.inFile(file, "wrong magic number " + found + ", expected " + magic
                    + " for IDX " + kind, hint);
        }
        if (data.length < headerBytes) {
            throw DataException.inFile(file, "truncated: " + data.length + " bytes is shorter than the "
                    + headerBytes + "-byte IDX " + kind + " header", FIX);
        }
    }

    private static int checkCount(Path file, int count) {
        if (count < 0) {
            throw DataException.inFile(file, "negative item count " + count + " in the header", FIX);
        }
        return count;
    }

    private static void checkLength(Path file, long found, long expected) {
        if (found < expected) {
            throw DataException.inFile(file, "truncated: expected " + expected + " bytes, found " + found, FIX);
        }
        if (found > expected) {
            throw DataException.inFile(file, "trailing bytes: expected " + expected + " bytes, found " + found, FIX);
        }
    }

    private static int readInt(byte[] b, int at) {
        return (b[at] & 0xFF) << 24 | (b[at + 1] & 0xFF) << 16 | (b[at + 2] & 0xFF) << 8 | (b[at + 3] & 0xFF);
    }
}
