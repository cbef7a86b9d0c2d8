package io.sparsestep.train.masks;

import java.util.Arrays;
import java.util.BitSet;

/** Which entries of one prunable tensor ({@code fc1.weight}) a run keeps: bit i set = entry i (row-major) kept. */
public record LayerMask(String parameter, int[] shape, BitSet kept) {
    public LayerMask {
        shape = shape.clone();
        kept = (BitSet) kept.clone();
        if (kept.length() > size(shape)) {
            throw new IllegalArgumentException(parameter + ": mask bit " + (kept.length() - 1) + " is outside its "
                    + size(shape) + " entries");
        }
    }

    @Override
    public int[] shape() { return shape.clone(); }

    @Override
    public BitSet kept() { return (BitSet) kept.clone(); }

    /** The layer's name as the run's per-layer sparsity names it: the parameter without ".weight". */
    public String layer() {
        return parameter.endsWith(".weight") ? parameter.substring(0, parameter.length() - ".weight".length()) : parameter;
    }

    /** Entries of the tensor. */
    public long size() { return size(shape); }

    /** Entries kept. */
    public long keptCount() { return kept.cardinality(); }

    /** The share kept, {@code keptCount / size}. */
    public double density() { return size() == 0 ? 0 : (double) keptCount() / size(); }

    /** Entries both masks keep (same tensor of the same model). */
    long intersection(LayerMask other) { return Jaccard.intersection(kept, other.kept); }

    private static long size(int[] shape) { return Arrays.stream(shape).asLongStream().reduce(1, Math::multiplyExact); }
}
