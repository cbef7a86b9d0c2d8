package io.sparsestep.data;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * CIFAR-10 and CIFAR-100 in their "binary version": fixed-size records of label byte(s)
 * followed by 3072 pixel bytes (1024 red, 1024 green, 1024 blue, each row-major 32x32), which
 * is already NCHW. CIFAR-10 records carry one label; CIFAR-100 records carry a coarse (20
 * superclasses) and a fine (100 classes) label, and the fine one is used.
 */
public final class CifarBinary {
    static final int SIDE = 32;
    static final int IMAGE_BYTES = 3 * SIDE * SIDE;

    /** How one variant lays out its records and where its files live. */
    enum Variant {
        CIFAR10("cifar10", 1, 10, 0, "cifar-10-batches-bin", "cifar-10-batches-py",
                List.of("data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin", "data_batch_5.bin"),
                "test_batch.bin", "run `sparsestep data fetch cifar10 --dir DIR` and pass --data-dir DIR, or download and extract the CIFAR-10 binary version (cifar-10-binary.tar.gz)"),
        CIFAR100("cifar100", 2, 100, 20, "cifar-100-binary", "cifar-100-python",
                List.of("train.bin"), "test.bin",
                "run `sparsestep data fetch cifar100 --dir DIR` and pass --data-dir DIR, or download and extract the CIFAR-100 binary version (cifar-100-binary.tar.gz)");

        final String id;
        /** Label bytes before the pixels; the last one is the class used. */
        final int labelBytes;
        final int classes;
        /** Classes of the coarse label CIFAR-100 stores first (checked, then dropped); 0: none. */
        final int coarseClasses;
        final String folder;
        /** The folder the Python version extracts to, to tell a user who has the wrong download. */
        final String pythonFolder;
        final List<String> trainFiles;
        final String testFile;
        final String download;

        Variant(String id, int labelBytes, int classes, int coarseClasses, String folder, String pythonFolder,
                List<String> trainFiles, String testFile, String download) {
            this.id = id;
            this.labelBytes = labelBytes;
            this.classes = classes;
            this.coarseClasses = coarseClasses;
            this.folder = folder;
            this.pythonFolder = pythonFolder;
            this.trainFiles = trainFiles;
            this.testFile = testFile;
            this.download = download;
        }

        int recordBytes() {
            return labelBytes + IMAGE_BYTES;
        }
    }

    private CifarBinary() {
    }

    /** CIFAR-10: 50000 training images from five batch files, 10000 test images. */
    public static TrainTest loadCifar10(Path dataDir, int trainLimit, int testLimit) {
        return load(Variant.CIFAR10, dataDir, trainLimit, testLimit);
    }

    /** CIFAR-100 with its 100 fine labels: 50000 training images, 10000 test images. */
    public static TrainTest loadCifar100(Path dataDir, int trainLimit, int testLimit) {
        return load(Variant.CIFAR100, dataDir, trainLimit, testLimit);
    }

    static TrainTest load(Variant v, Path dataDir, int trainLimit, int testLimit) {
        DataFiles.requireDataDir(v.id, dataDir, v.download);
        List<Path> dirs = DataFiles.candidateDirs(dataDir, List.of(v.folder));
        List<List<String>> wanted = new ArrayList<>();
        for (String f : v.trainFiles) {
            wanted.add(List.of(f));
        }
        wanted.add(List.of(v.testFile));
        String fix = Files.isDirectory(dataDir.resolve(v.pythonFolder))
                ? dataDir.resolve(v.pythonFolder) + " is the Python version; " + v.download
                : v.download;
        List<Path> files = DataFiles.findTogether(v.id, dirs, wanted, fix);
        DatasetSplit train = read(v, v.id + "/train", files.subList(0, files.size() - 1), trainLimit);
        DatasetSplit test = read(v, v.id + "/test", files.subList(files.size() - 1, files.size()), testLimit);
        return new TrainTest(train, test);
    }

    /**
     * The records of {@code files} in order, as one split; {@code limit <= 0} keeps all. Every
     * file is checked in full even when the limit is reached early, so a damaged download is
     * noticed on the first (small) run rather than the first full one.
     */
    static DatasetSplit read(Variant v, String name, List<Path> files, int limit) {
        String fix = "re-download the " + v.id + " binary version";
        int record = v.recordBytes();
        List<byte[]> contents = new ArrayList<>();
        long total = 0;
        for (Path file : files) {
            byte[] data = DataFiles.readAll(file, fix);
            if (data.length == 0) {
                throw DataException.inFile(file, "0 images; the file is empty", fix);
            }
            if (data.length % record != 0) {
                throw DataException.inFile(file, "truncated or wrong image size: " + data.length
                        + " bytes is not a multiple of " + record + "-byte records", fix);
            }
            checkLabels(v, file, data, fix);
            contents.add(data);
            total += data.length / record;
        }
        int n = (int) (limit > 0 ? Math.min(limit, total) : total);
        byte[] pixels = new byte[n * IMAGE_BYTES];
        byte[] labels = new byte[n];
        int at = 0;
        for (byte[] data : contents) {
            for (int off = 0; off < data.length && at < n; off += record, at++) {
                labels[at] = data[off + v.labelBytes - 1];
                System.arraycopy(data, off + v.labelBytes, pixels, at * IMAGE_BYTES, IMAGE_BYTES);
            }
        }
        return new DatasetSplit(name, n, 3, SIDE, SIDE, v.classes, pixels, labels);
    }

    private static void checkLabels(Variant v, Path file, byte[] data, String fix) {
        int record = v.recordBytes();
        for (int r = 0, off = 0; off < data.length; r++, off += record) {
            if (v.coarseClasses > 0) {
                int coarse = data[off] & 0xFF;
                if (coarse >= v.coarseClasses) {
                    throw DataException.inFile(file, "coarse label " + coarse + " of record " + r + " is out of range 0.."
                            + (v.coarseClasses - 1) + " (is this really " + v.id + "?)", fix);
                }
            }
            int label = data[off + v.labelBytes - 1] & 0xFF;
            if (label >= v.classes) {
                throw DataException.inFile(file, "label " + label + " of record " + r + " is out of range 0.."
                        + (v.classes - 1), fix);
            }
        }
    }
}
