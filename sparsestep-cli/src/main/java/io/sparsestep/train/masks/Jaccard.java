package io.sparsestep.train.masks;

import java.util.BitSet;

/**
 * Mask similarity as Paganini &amp; Forde compare masks (ALGORITHMS.md 10): the Jaccard index
 * {@code |A ∩ B| / |A ∪ B|} over the <em>kept</em> entries, and the value two independent
 * random masks of the same sizes would reach by chance.
 *
 * <p>The chance level is exact for the masks as they are: A and B keep exactly {@code k1} and
 * {@code k2} of {@code n} entries, each a uniformly random subset of that size, independently.
 * Then the overlap {@code X = |A ∩ B|} is hypergeometric (each of the {@code k2} entries of B
 * falls among the {@code k1} of A without replacement), {@code |A ∪ B| = k1 + k2 - X}, and
 * <pre>  E[J] = sum_x P(X = x) x / (k1 + k2 - x),   P(X = x) = C(k1, x) C(n - k1, k2 - x) / C(n, k2)</pre>
 * which is what {@link #chance} computes. Since {@code E[X] = k1 k2 / n} and X concentrates
 * there as n grows, {@code E[J] -> d1 d2 / (d1 + d2 - d1 d2)} with {@code d = k / n}: the
 * large-n form ({@link #chanceLargeN}), close to the exact value for a large layer and off by
 * up to a few percent of itself for a layer of a few hundred entries.
 */
public final class Jaccard {
    /** Terms of the hypergeometric sum below this share of the largest change nothing in a double. */
    private static final double NEGLIGIBLE = 1e-20;

    private Jaccard() {}

    /**
     * {@code |A ∩ B| / |A ∪ B|} of the kept entries; 1 when both keep nothing (two equal
     * masks), so identical masks always score 1.
     */
    public static double index(long intersection, long union) {
        if (intersection < 0 || union < intersection) {
            throw new IllegalArgumentException("Jaccard index of an intersection of " + intersection + " in a union of " + union
                    + "; the intersection must be in 0..union");
        }
        return union == 0 ? 1.0 : (double) intersection / union;
    }

    /** The entries both masks keep. */
    public static long intersection(BitSet a, BitSet b) {
        BitSet both = (BitSet) a.clone();
        both.and(b);
        return both.cardinality();
    }

    /**
     * The expected Jaccard index of two independent uniformly random masks of {@code n}
     * entries keeping {@code k1} and {@code k2} (exact; see the class comment). 1 when both
     * keep nothing, 0 when only one does.
     */
    public static double chance(long n, long k1, long k2) {
        if (n < 0 || k1 < 0 || k2 < 0 || k1 > n || k2 > n) {
            throw new IllegalArgumentException("chance Jaccard of masks keeping " + k1 + " and " + k2 + " of " + n
                    + " entries; each count must be in 0..n");
        }
        if (k1 == 0 && k2 == 0) return 1.0;
        if (k1 == 0 || k2 == 0) return 0.0;
        long lo = Math.max(0, k1 + k2 - n), hi = Math.min(k1, k2);
        // the pmf is log-concave: start at its mode with weight 1 and walk outwards by the ratio
        // P(x+1)/P(x) = (k1-x)(k2-x) / ((x+1)(n-k1-k2+x+1)) until the terms vanish; no factorials
        long mode = Math.clamp((long) Math.floor((k1 + 1.0) * (k2 + 1.0) / (n + 2.0)), lo, hi);
        double weights = 1, sum = jaccardAt(mode, k1, k2);
        double w = 1;
        for (long x = mode; x < hi; x++) {
            w *= (double) (k1 - x) * (k2 - x) / ((x + 1.0) * (n - k1 - k2 + x + 1.0));
            if (w < NEGLIGIBLE) break;
            weights += w;
            sum += w * jaccardAt(x + 1, k1, k2);
        }
        w = 1;
        for (long x = mode; x > lo; x--) {
            // P(x-1)/P(x), the same ratio read backwards
            w *= x * (n - k1 - k2 + (double) x) / ((double) (k1 - x + 1) * (k2 - x + 1));
            if (w < NEGLIGIBLE) break;
            weights += w;
            sum += w * jaccardAt(x - 1, k1, k2);
        }
        return sum / weights;
    }

    /** {@code d1 d2 / (d1 + d2 - d1 d2)}: the chance level for large n (the limit of {@link #chance}). */
    public static double chanceLargeN(double d1, double d2) {
        if (!(d1 >= 0 && d1 <= 1 && d2 >= 0 && d2 <= 1)) {
            throw new IllegalArgumentException("densities must be in 0..1, got " + d1 + " and " + d2);
        }
        double union = d1 + d2 - d1 * d2;
        return union == 0 ? 1.0 : d1 * d2 / union;
    }

    private static double jaccardAt(long overlap, long k1, long k2) {
        return (double) overlap / (k1 + k2 - overlap);
    }
}
