package io.sparsestep.backend;

/**
 * Philox4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3", SC 2011),
 * the counter-based generator of Random123 and cuRAND: ten rounds of two 32x32->64-bit
 * multiplies over a 128-bit counter, keyed by 64 bits. A random number is a pure function
 * of (key, counter), so a kernel thread and a Java loop that draw for the same element get
 * the same number, with no generator state to carry or split. The kernel twin is
 * {@code philox4x32_10} in {@code kernels/common.cuh}; {@code PhiloxTest} checks both
 * against Random123's known-answer vectors.
 *
 * <p>sparsestep's counter for element {@code index} of a draw is
 * {@code (low 32 bits of index, high 32 bits of index, round, stream)} and the key is the
 * seed's two halves; {@link #uniform} maps word 0 of the output to {@code [0, 1)} as
 * {@code (x >>> 8) * 2^-24}, exact in float.
 */
public final class Philox {
    private static final int M0 = 0xD2511F53, M1 = 0xCD9E8D57;
    private static final int W0 = 0x9E3779B9, W1 = 0xBB67AE85;

    private Philox() {}

    /** The four output words for counter (c0..c3) and key (k0, k1). */
    public static int[] block(int c0, int c1, int c2, int c3, int k0, int k1) {
        for (int r = 0; r < 10; r++) {
            if (r > 0) {
                k0 += W0;
                k1 += W1;
            }
            long p0 = (M0 & 0xFFFFFFFFL) * (c0 & 0xFFFFFFFFL);
            long p1 = (M1 & 0xFFFFFFFFL) * (c2 & 0xFFFFFFFFL);
            int hi0 = (int) (p0 >>> 32), lo0 = (int) p0;
            int hi1 = (int) (p1 >>> 32), lo1 = (int) p1;
            int n0 = hi1 ^ c1 ^ k0, n2 = hi0 ^ c3 ^ k1;
            c0 = n0;
            c1 = lo1;
            c2 = n2;
            c3 = lo0;
        }
        return new int[]{c0, c1, c2, c3};
    }

    /** Word 0 of the block for element {@code index} of draw {@code round} on {@code stream}, keyed by {@code seed}. */
    public static int word(long seed, long index, long round, int stream) {
        // the first output word only: the same rounds as block(), without the array
        int c0 = (int) index, c1 = (int) (index >>> 32), c2 = (int) round, c3 = stream;
        int k0 = (int) seed, k1 = (int) (seed >>> 32);
        for (int r = 0; r < 10; r++) {
            if (r > 0) {
                k0 += W0;
                k1 += W1;
            }
            long p0 = (M0 & 0xFFFFFFFFL) * (c0 & 0xFFFFFFFFL);
            long p1 = (M1 & 0xFFFFFFFFL) * (c2 & 0xFFFFFFFFL);
            int n0 = (int) (p1 >>> 32) ^ c1 ^ k0, n2 = (int) (p0 >>> 32) ^ c3 ^ k1;
            c1 = (int) p1;
            c3 = (int) p0;
            c0 = n0;
            c2 = n2;
        }
        return c0;
    }

    /** A uniform float in [0, 1) for element {@code index}: {@code (word >>> 8) * 2^-24}. */
    public static float uniform(long seed, long index, long round, int stream) {
        return (word(seed, index, round, stream) >>> 8) * 0x1p-24f;
    }
}
