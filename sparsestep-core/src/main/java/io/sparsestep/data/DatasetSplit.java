package io.sparsestep.data;

import java.util.Arrays;

/**
 * One split (train or test) of an image classification dataset, fully in memory.
 *
 * @param name     what the split is, e.g. "mnist/train", for messages
 * @param count    number of images
 * @param channels colour channels (1 for MNIST, 3 for CIFAR)
 * @param height   image height in pixels
 * @param width    image width in pixels
 * @param classes  number of classes; every label is below this
 * @param pixels   uint8 pixels in NCHW order, {@code count*channels*height*width} bytes
 * @param labels   one class index per image (unsigned byte), {@code count} bytes
 */
public record DatasetSplit(String name, int count, int channels, int height, int width, int classes,
                           byte[] pixels, byte[] labels) {

    public DatasetSplit {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("dataset split needs a name");
        }
        if (count < 0) {
            throw new IllegalArgumentException(name + ": count must be >= 0, got " + count);
        }
        if (channels <= 0 || height <= 0 || width <= 0) {
            throw new IllegalArgumentException(name + ": image shape must be positive, got "
                    + channels + "x" + height + "x" + width);
        }
        // labels are unsigned bytes, so at most 256 classes fit
        if (classes < 2 || classes > 256) {
            throw new IllegalArgumentException(name + ": classes must be in 2..256, got " + classes);
        }
        if (pixels == null || labels == null) {
            throw new IllegalArgumentException(name + ": pixels and labels must not be null");
        }
        long expectedPixels = (long) count * channels * height * width;
        if (pixels.length != expectedPixels) {
            throw new IllegalArgumentException(name + ": expected " + expectedPixels + " pixel bytes for "
                    + count + " images of " + channels + "x" + height + "x" + width + ", got " + pixels.length);
        }
        if (labels.length != count) {
            throw new IllegalArgumentException(name + ": expected " + count + " labels, got " + labels.length);
        }
        for (int i = 0; i < count; i++) {
            int label = labels[i] & 0xFF;
            if (label >= classes) {
                throw new IllegalArgumentException(name + ": label " + label + " of image " + i
                        + " is out of range 0.." + (classes - 1));
            }
        }
    }

    /** Bytes (= pixels) per image: channels*height*width. */
    public int imageSize() {
        return channels * height * width;
    }

    /** Class index of image {@code i}. */
    public int label(int i) {
        return labels[i] & 0xFF;
    }

    /** The first {@code limit} images ({@code limit <= 0} or beyond the end: all of them). */
    public DatasetSplit head(int limit) {
        if (limit <= 0 || limit >= count) {
            return this;
        }
        byte[] p = Arrays.copyOf(pixels, limit * imageSize());
        byte[] l = Arrays.copyOf(labels, limit);
        return new DatasetSplit(name, limit, channels, height, width, classes, p, l);
    }

    /** How many images carry each class label. */
    public int[] classCounts() {
        int[] counts = new int[classes];
        for (int i = 0; i < count; i++) {
            counts[label(i)]++;
        }
        return counts;
    }
}
