package io.sparsestep.data;

import java.util.Arrays;

/**
 * The standard CIFAR augmentation: pad by {@link #PAD} pixels, crop back to the original size
 * at a random offset, then mirror left-right with probability 1/2. Works on an already
 * normalised image, and the padding is 0 there, i.e. the channel mean: padding with the
 * mean (rather than black before normalising) keeps the border from being the most extreme
 * colour in the image, and it is what padding after normalisation naturally gives.
 */
final class CropFlip {
    static final int PAD = 4;
    private static final int OFFSETS = 2 * PAD + 1;
    private static final long STREAM = 0x5eed_c0de_f11bL;

    /** One sample's draw: the crop shifts the image content by (-dx, -dy); flip mirrors after. */
    record Draw(int dx, int dy, boolean flip) {
    }

    private CropFlip() {
    }

    /** The draw for {@code sample} in {@code epoch}; a function of these and the seed only. */
    static Draw draw(long seed, int epoch, int sample) {
        long bits = bits(seed, epoch, sample);
        return new Draw(dx(bits), dy(bits), flip(bits));
    }

    /** The random bits {@link #dx}, {@link #dy} and {@link #flip} are read from. */
    static long bits(long seed, int epoch, int sample) {
        return Seeds.mix(Seeds.mix(seed, STREAM), epoch, sample);
    }

    /** Crop offset in x, -PAD..PAD, from the top 24 bits. */
    static int dx(long bits) {
        return Seeds.below(bits, OFFSETS) - PAD;
    }

    /** Crop offset in y, -PAD..PAD, from the next 24 bits. */
    static int dy(long bits) {
        return Seeds.below(bits << 24, OFFSETS) - PAD;
    }

    static boolean flip(long bits) {
        return (bits & 1) != 0;
    }

    /**
     * {@code out = flip(crop(pad(in)))}, that is {@code out[c][y][x] = in[c][y+dy][xs+dx]} with
     * {@code xs = flip ? w-1-x : x}, and 0 where that falls outside the image. Both arrays
     * hold one CHW image from the given offsets.
     */
    static void apply(float[] in, int inAt, float[] out, int outAt, int channels, int h, int w,
                      int dx, int dy, boolean flip) {
        for (int c = 0; c < channels; c++) {
            int plane = c * h * w;
            for (int y = 0; y < h; y++) {
                int sy = y + dy;
                int row = outAt + plane + y * w;
                if (sy < 0 || sy >= h) {
                    Arrays.fill(out, row, row + w, 0f);
                    continue;
                }
                int src = inAt + plane + sy * w;
                for (int x = 0; x < w; x++) {
                    int sx = (flip ? w - 1 - x : x) + dx;
                    out[row + x] = sx >= 0 && sx < w ? in[src + sx] : 0f;
                }
            }
        }
    }
}
