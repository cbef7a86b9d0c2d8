package io.sparsestep.analysis;

import io.sparsestep.backend.Backend;
import io.sparsestep.data.BatchLoader;
import io.sparsestep.data.DatasetSplit;
import io.sparsestep.data.Normalization;
import io.sparsestep.nn.Layer;
import io.sparsestep.nn.Network;
import io.sparsestep.params.ParamEntry;
import io.sparsestep.params.ParamLayout;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;

/** Small data sets, networks and host copies of what a loader serves, for the analysis tests. */
final class Fixtures {
    private Fixtures() {}

    /** {@code count} random images of {@code shape} ([C,H,W]) with labels that depend on their pixels (so there is something to learn). */
    static DatasetSplit split(String name, int count, int[] shape, int classes, long seed) {
        Random rng = new Random(seed);
        int size = shape[0] * shape[1] * shape[2];
        byte[] pixels = new byte[count * size], labels = new byte[count];
        for (int i = 0; i < count; i++) {
            int label = rng.nextInt(classes);
            labels[i] = (byte) label;
            for (int j = 0; j < size; j++) {
                // the class lifts "its" pixels: a learnable, not perfectly separable signal
                int v = rng.nextInt(160) + (j % classes == label ? 90 : 0);
                pixels[i * size + j] = (byte) v;
            }
        }
        return new DatasetSplit(name, count, shape[0], shape[1], shape[2], classes, pixels, labels);
    }

    /** An unshuffled, unaugmented loader of {@code split} normalised by its own statistics. */
    static BatchLoader loader(DatasetSplit split, int batch) {
        return new BatchLoader(split, batch, false, false, 1, Normalization.of(split));
    }

    static Network network(Backend be, Layer root, DatasetSplit split, int batch, long seed) {
        int[] shape = {split.channels(), split.height(), split.width()};
        return Network.build("test", be, root, shape, split.classes(), batch, seed, new BatchLoader(split, batch, false, false, 1,
                Normalization.of(split)).lastBatchSize());
    }

    /** Every sample the loader serves in its epoch-0 order, flattened: {@code x[sample][feature]}, and the labels in {@code y}. */
    static double[][] inputs(BatchLoader loader, int[] y) {
        int count = loader.split().count(), size = loader.imageFloats();
        double[][] x = new double[count][size];
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment images = arena.allocate(4L * size * loader.batchSize()), labels = arena.allocate(4L * loader.batchSize());
            loader.startEpoch(0);
            int at = 0, n;
            while ((n = loader.next(images, labels)) > 0) {
                for (int b = 0; b < n; b++) {
                    for (int j = 0; j < size; j++) x[at + b][j] = images.getAtIndex(ValueLayout.JAVA_FLOAT, (long) b * size + j);
                    y[at + b] = (int) labels.getAtIndex(ValueLayout.JAVA_FLOAT, b);
                }
                at += n;
            }
        }
        return x;
    }

    /** A tensor's values from a packed (ParamSelection.ALL) vector, as [rows][cols] (a bias is one row). */
    static double[][] tensor(double[] packed, ParamLayout layout, String name) {
        long at = 0;
        for (ParamEntry e : ParamSelection.ALL.entries(layout)) {
            if (e.name().equals(name)) {
                int[] s = e.shape();
                int rows = s.length == 2 ? s[0] : 1, cols = s.length == 2 ? s[1] : s[0];
                double[][] t = new double[rows][cols];
                for (int r = 0; r < rows; r++) for (int c = 0; c < cols; c++) t[r][c] = packed[Math.toIntExact(at + (long) r * cols + c)];
                return t;
            }
            at += e.size();
        }
        throw new IllegalArgumentException("no tensor " + name);
    }

    /** Where tensor {@code name}'s entry (r, c) sits in a packed (ParamSelection.ALL) vector. */
    static int index(ParamLayout layout, String name, int r, int c) {
        long at = 0;
        for (ParamEntry e : ParamSelection.ALL.entries(layout)) {
            if (e.name().equals(name)) {
                int[] s = e.shape();
                int cols = s.length == 2 ? s[1] : s[0];
                return Math.toIntExact(at + (long) r * cols + c);
            }
            at += e.size();
        }
        throw new IllegalArgumentException("no tensor " + name);
    }

    /** Softmax of z, in double. */
    static double[] softmax(double[] z) {
        double max = Double.NEGATIVE_INFINITY;
        for (double v : z) max = Math.max(max, v);
        double[] p = new double[z.length];
        double sum = 0;
        for (int i = 0; i < z.length; i++) sum += p[i] = Math.exp(z[i] - max);
        for (int i = 0; i < z.length; i++) p[i] /= sum;
        return p;
    }
}
