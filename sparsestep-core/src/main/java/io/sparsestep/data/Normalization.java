package io.sparsestep.data;

import java.util.Arrays;

/**
 * Per-channel mean and standard deviation of pixel values scaled to [0,1]; a network sees
 * {@code (pixel/255 - mean[c]) / std[c]}. Computed from the training split only and applied
 * unchanged to the test split, so test data never leaks into the inputs.
 */
public record Normalization(float[] mean, float[] std) {

    public Normalization {
        if (mean == null || std == null || mean.length == 0 || mean.length != std.length) {
            throw new IllegalArgumentException("normalization needs one mean and one std per channel");
        }
        for (int c = 0; c < std.length; c++) {
            if (!(std[c] > 0f) || !Float.isFinite(std[c]) || !Float.isFinite(mean[c])) {
                throw new IllegalArgumentException("normalization of channel " + c + " needs a finite mean and std > 0, got mean "
                        + mean[c] + " std " + std[c]);
            }
        }
        mean = mean.clone();
        std = std.clone();
    }

    /**
     * Mean and population standard deviation of each channel over all training pixels.
     * A channel that is constant gets std 1 (it would otherwise divide by zero); its values
     * then just become 0.
     */
    public static Normalization of(DatasetSplit train) {
        int channels = train.channels();
        int plane = train.height() * train.width();
        long[] sum = new long[channels];
        long[] sumSq = new long[channels];
        byte[] px = train.pixels();
        for (int i = 0; i < train.count(); i++) {
            int base = i * train.imageSize();
            for (int c = 0; c < channels; c++) {
                long s = 0, s2 = 0;
                for (int k = base + c * plane, end = k + plane; k < end; k++) {
                    int v = px[k] & 0xFF;
                    s += v;
                    s2 += v * v;
                }
                sum[c] += s;
                sumSq[c] += s2;
            }
        }
        double n = (double) train.count() * plane;
        float[] mean = new float[channels];
        float[] std = new float[channels];
        for (int c = 0; c < channels; c++) {
            double m = n == 0 ? 0 : sum[c] / n;
            double var = n == 0 ? 0 : Math.max(0, sumSq[c] / n - m * m);
            mean[c] = (float) (m / 255.0);
            double s = Math.sqrt(var) / 255.0;
            std[c] = s > 1e-8 ? (float) s : 1f;
        }
        return new Normalization(mean, std);
    }

    public int channels() {
        return mean.length;
    }

    /** The normalised value of {@code pixel} (0..255) in channel {@code c}. */
    public float apply(int c, int pixel) {
        return (pixel / 255f - mean[c]) / std[c];
    }

    @Override
    public float[] mean() {
        return mean.clone();
    }

    @Override
    public float[] std() {
        return std.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Normalization other && Arrays.equals(mean, other.mean) && Arrays.equals(std, other.std);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(mean) + Arrays.hashCode(std);
    }

    @Override
    public String toString() {
        return "Normalization[mean=" + Arrays.toString(mean) + ", std=" + Arrays.toString(std) + "]";
    }
}
