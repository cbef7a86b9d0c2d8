package io.sparsestep.data;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;

/**
 * Serves one split in minibatches as normalised float32 NCHW images plus float32 class
 * indices, written into caller-owned host memory (native byte order) ready to upload.
 *
 * <p>The visiting order of an epoch is a function of (seed, epoch) only, not of the batch
 * size or of anything trained so far, so two optimizers run with the same seed see exactly
 * the same data in the same order; augmentation draws depend on (seed, epoch, sample index)
 * likewise. Scratch arrays are allocated once; {@link #next} allocates nothing.
 *
 * <p>Augmentation (meant for CIFAR training) is {@link CropFlip}: pad 4, random crop,
 * random horizontal flip, in that order; the padding is 0 after normalisation, i.e. the
 * channel mean.
 *
 * <p>A split that the batch size does not divide ends each epoch in a smaller batch, or, with
 * {@code dropPartialLast}, without it (PyTorch's {@code drop_last}): the last
 * {@code count mod batchSize} samples of each epoch's order are not served, so which ones
 * are left out changes with the epoch's shuffle.
 *
 * <p>Epoch 0 is started on construction. Not thread-safe: one loader per training loop.
 */
public final class BatchLoader {
    private static final long SHUFFLE_STREAM = 0x0dde_5eedL;

    private final DatasetSplit split;
    private final int batchSize;
    private final boolean shuffle;
    private final boolean augment;
    private final long seed;
    private final boolean dropPartialLast;
    /** {@code lut[c*256 + v]}: the normalised value of pixel byte v in channel c. */
    private final float[] lut;
    private final int[] order;
    private final float[] batchImages;
    private final float[] batchLabels;
    /** One normalised image before cropping; only used when augmenting. */
    private final float[] plain;
    private int epoch;
    private int cursor;

    public BatchLoader(DatasetSplit split, int batchSize, boolean shuffle, boolean augment, long seed,
                       Normalization norm) {
        this(split, batchSize, shuffle, augment, seed, norm, false);
    }

    /** With {@code dropPartialLast}, an epoch serves full batches only (at least one: the split must hold a batch). */
    public BatchLoader(DatasetSplit split, int batchSize, boolean shuffle, boolean augment, long seed,
                       Normalization norm, boolean dropPartialLast) {
        if (split == null || norm == null) {
            throw new IllegalArgumentException("batch loader needs a split and a normalization");
        }
        if (batchSize <= 0) {
            throw new IllegalArgumentException("batch size must be positive, got " + batchSize);
        }
        if (norm.channels() != split.channels()) {
            throw new IllegalArgumentException("normalization has " + norm.channels() + " channels but "
                    + split.name() + " has " + split.channels());
        }
        if (dropPartialLast && split.count() < batchSize) {
            throw new IllegalArgumentException("--last-batch drop leaves no batch: " + split.name() + " holds " + split.count()
                    + " images, fewer than the batch size " + batchSize + "; use a smaller --batch-size or --last-batch train");
        }
        this.split = split;
        this.batchSize = batchSize;
        this.dropPartialLast = dropPartialLast;
        this.shuffle = shuffle;
        this.augment = augment;
        this.seed = seed;
        this.lut = new float[split.channels() * 256];
        for (int c = 0; c < split.channels(); c++) {
            for (int v = 0; v < 256; v++) {
                lut[c * 256 + v] = norm.apply(c, v);
            }
        }
        this.order = new int[split.count()];
        int perBatch = Math.min(batchSize, Math.max(1, split.count()));
        this.batchImages = new float[Math.multiplyExact(perBatch, split.imageSize())];
        this.batchLabels = new float[perBatch];
        this.plain = augment ? new float[split.imageSize()] : null;
        startEpoch(0);
    }

    /** Batches per epoch; the last one may be smaller, unless a partial last batch is dropped. */
    public int batches() {
        return dropPartialLast ? split.count() / batchSize : (split.count() + batchSize - 1) / batchSize;
    }

    /** Samples an epoch serves: the split's count, less the partial last batch when it is dropped. */
    public int samplesPerEpoch() {
        return dropPartialLast ? batches() * batchSize : split.count();
    }

    public int batchSize() {
        return batchSize;
    }

    /** Images in the last batch of an epoch: batchSize() when the split divides evenly. */
    public int lastBatchSize() {
        return samplesPerEpoch() - (batches() - 1) * batchSize;
    }

    public DatasetSplit split() {
        return split;
    }

    /** Floats one image takes in the images segment: channels*height*width. */
    public int imageFloats() {
        return split.imageSize();
    }

    /** Rewinds to the first batch of {@code epoch}, in that epoch's order. */
    public void startEpoch(int epoch) {
        this.epoch = epoch;
        this.cursor = 0;
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        if (shuffle) {
            SplittableRandom rng = new SplittableRandom(Seeds.mix(seed, SHUFFLE_STREAM, epoch));
            for (int i = order.length - 1; i > 0; i--) {
                int k = rng.nextInt(i + 1);
                int t = order[i];
                order[i] = order[k];
                order[k] = t;
            }
        }
    }

    /**
     * Writes the next batch: {@code n} images as float32 NCHW into {@code images} and their
     * class indices as float32 into {@code labels}, both from offset 0 in native byte order.
     *
     * @return n, the number of samples written; 0 once the epoch is exhausted
     * @throws IllegalArgumentException if a segment is too small for this batch
     */
    public int next(MemorySegment images, MemorySegment labels) {
        int n = Math.min(batchSize, samplesPerEpoch() - cursor);
        if (n <= 0) {
            return 0;
        }
        int size = split.imageSize();
        if (images.byteSize() < (long) n * size * Float.BYTES) {
            throw new IllegalArgumentException("images segment holds " + images.byteSize() + " bytes, batch needs "
                    + (long) n * size * Float.BYTES + " (" + n + " x " + size + " floats)");
        }
        if (labels.byteSize() < (long) n * Float.BYTES) {
            throw new IllegalArgumentException("labels segment holds " + labels.byteSize() + " bytes, batch needs "
                    + (long) n * Float.BYTES);
        }
        for (int b = 0; b < n; b++) {
            int sample = order[cursor + b];
            if (augment) {
                normalise(sample, plain, 0);
                long bits = CropFlip.bits(seed, epoch, sample);
                CropFlip.apply(plain, 0, batchImages, b * size, split.channels(), split.height(), split.width(),
                        CropFlip.dx(bits), CropFlip.dy(bits), CropFlip.flip(bits));
            } else {
                normalise(sample, batchImages, b * size);
            }
            batchLabels[b] = split.label(sample);
        }
        cursor += n;
        MemorySegment.copy(batchImages, 0, images, ValueLayout.JAVA_FLOAT_UNALIGNED, 0, n * size);
        MemorySegment.copy(batchLabels, 0, labels, ValueLayout.JAVA_FLOAT_UNALIGNED, 0, n);
        return n;
    }

    private void normalise(int sample, float[] out, int at) {
        byte[] px = split.pixels();
        int plane = split.height() * split.width();
        int from = sample * split.imageSize();
        for (int c = 0; c < split.channels(); c++) {
            int base = c * 256;
            int off = c * plane;
            for (int k = 0; k < plane; k++) {
                out[at + off + k] = lut[base + (px[from + off + k] & 0xFF)];
            }
        }
    }
}
