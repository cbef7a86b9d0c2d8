package io.sparsestep.data;

/**
 * Derives independent random streams from (seed, purpose, index) tuples, so that what a
 * sample looks like, or how it is augmented, depends only on its own coordinates and never
 * on thread scheduling, batch size or the order samples are visited in.
 */
final class Seeds {
    private Seeds() {
    }

    /** SplitMix64's finaliser: a bijective 64-bit mix with full avalanche. */
    static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }

    static long mix(long a, long b) {
        return mix(mix(a) + 0x9e3779b97f4a7c15L * (b + 1));
    }

    static long mix(long a, long b, long c) {
        return mix(mix(a, b), c);
    }

    /** An integer in [0, bound) from 24 high bits of {@code bits} (bias below 2^-24 * bound). */
    static int below(long bits, int bound) {
        return (int) (((bits >>> 40) * bound) >>> 24);
    }
}
