package io.sparsestep.data.fetch;

import java.util.List;
import java.util.Map;

/**
 * The datasets {@code data fetch} knows, as torchvision's {@code download=True} gets them:
 * MNIST from torchvision's own mirror (then LeCun's page), CIFAR-10 and CIFAR-100 in their
 * binary versions (the ones {@code CifarBinary} reads) from the authors' page. MD5s and sizes
 * are the publishers' (torchvision's list for MNIST; the CIFAR page's table).
 */
public final class Catalog {
    private static final String TORONTO = "https://www.cs.toronto.edu/~kriz/";

    private static final Map<String, Remote> ALL = Map.of(
            "mnist", new Remote("mnist", List.of("https://ossci-datasets.s3.amazonaws.com/mnist/", "http://yann.lecun.com/exdb/mnist/"),
                    List.of(new RemoteFile("train-images-idx3-ubyte.gz", "f68b3c2dcbeaaa9fbdd348bbdeb94873", 9_912_422),
                            new RemoteFile("train-labels-idx1-ubyte.gz", "d53e105ee54ea40749a09fcbcd1e9432", 28_881),
                            new RemoteFile("t10k-images-idx3-ubyte.gz", "9fb629c4189551a2d022fa330f9573f3", 1_648_877),
                            new RemoteFile("t10k-labels-idx1-ubyte.gz", "ec29112dd5afa0611ce80d1b7f02629c", 4_542)),
                    // the loader reads the .gz files as they are
                    "mnist", null, List.of()),
            "cifar10", new Remote("cifar10", List.of(TORONTO),
                    List.of(new RemoteFile("cifar-10-binary.tar.gz", "c32a1d4ab5d03f1284b67883e8d87530", 170_052_171)),
                    "", "cifar-10-batches-bin",
                    List.of("data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin", "data_batch_5.bin", "test_batch.bin",
                            "batches.meta.txt")),
            "cifar100", new Remote("cifar100", List.of(TORONTO),
                    List.of(new RemoteFile("cifar-100-binary.tar.gz", "03b5dce01913d631647c71ecec9e9cb8", 168_513_733)),
                    "", "cifar-100-binary", List.of("train.bin", "test.bin", "coarse_label_names.txt", "fine_label_names.txt")));

    private Catalog() {}

    public static List<String> names() { return List.of("mnist", "cifar10", "cifar100"); }

    public static Remote of(String dataset) {
        Remote r = ALL.get(dataset);
        if (r == null) {
            throw new IllegalArgumentException("data fetch knows " + String.join(", ", names()) + ", not '" + dataset
                    + "' (synth-digits and synth-cifar are generated, nothing to fetch)");
        }
        return r;
    }
}
