package io.sparsestep.train.masks;

/**
 * How alike two masks are on one layer (or on all layers together): its entries, what each
 * mask keeps, what both keep and what either keeps; the Jaccard index and its chance level
 * follow from these counts.
 */
public record LayerSimilarity(String layer, long size, long keptA, long keptB, long intersection) {
    /** The row that sums every layer. */
    public static final String OVERALL = "overall";

    public LayerSimilarity {
        if (keptA < 0 || keptB < 0 || keptA > size || keptB > size || intersection < 0 || intersection > Math.min(keptA, keptB)) {
            throw new IllegalArgumentException(layer + ": masks keeping " + keptA + " and " + keptB + " of " + size + " entries cannot share "
                    + intersection);
        }
    }

    /** Entries either mask keeps. */
    public long union() { return keptA + keptB - intersection; }

    public double densityA() { return (double) keptA / size; }

    public double densityB() { return (double) keptB / size; }

    public double jaccard() { return Jaccard.index(intersection, union()); }

    /** The expected Jaccard index of two independent random masks keeping as many entries (exact). */
    public double chance() { return Jaccard.chance(size, keptA, keptB); }

    /** The counts of two layers (or of the layers so far and one more) together. */
    LayerSimilarity plus(LayerSimilarity other, String name) {
        return new LayerSimilarity(name, size + other.size, keptA + other.keptA, keptB + other.keptB, intersection + other.intersection);
    }
}
