package io.sparsestep.backend;

import java.util.Arrays;

/**
 * A conv weight [O, I, kh, kw] (or a linear weight [O, I]) seen as [O, I, K] with
 * K = kh*kw (a linear weight has K = 1), and how its elements form groups for the
 * structured ops of {@link GroupOps}:
 *
 * <ul>
 *   <li>{@link Grouping#FILTERS}: O groups, group o = W[o, :, :], I*K contiguous elements (an
 *       output filter of a conv, a row of a linear layer);</li>
 *   <li>{@link Grouping#CHANNELS}: I groups, group i = W[:, i, :], O runs of K elements, one
 *       every I*K (an input channel: strided);</li>
 *   <li>{@link Grouping#KERNELS}: O*I groups, group (o, i) = W[o, i, :], K contiguous elements
 *       (one k*k kernel).</li>
 * </ul>
 *
 * Element p (0 <= p < {@link #groupSize()}) of group g sits at
 * {@code (p / segment) * stride + g * segment + p % segment} of the tensor, with
 * {@link #segment()} the length of a contiguous run and {@link #stride()} the distance
 * between runs: one formula for the three groupings, which is what the kernels use.
 */
public record GroupGeometry(int outputs, int inputs, int kernel, Grouping grouping) {
    /** Which elements form one group. */
    public enum Grouping {
        FILTERS("filters"), CHANNELS("channels"), KERNELS("kernels");

        private final String id;

        Grouping(String id) { this.id = id; }

        /** The name on the command line ({@code --groups filters}). */
        public String id() { return id; }
    }

    public GroupGeometry {
        if (outputs < 1 || inputs < 1 || kernel < 1) {
            throw new IllegalArgumentException("group geometry [O, I, K] needs every dimension >= 1, got [" + outputs + ", " + inputs + ", " + kernel + "]");
        }
        if (grouping == null) throw new IllegalArgumentException("group geometry needs a grouping (filters, channels or kernels)");
        // the kernels index with 32-bit integers
        if ((long) outputs * inputs * kernel > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("group geometry [" + outputs + ", " + inputs + ", " + kernel + "] has more than 2^31-1 elements; split the tensor");
        }
    }

    /**
     * The geometry of a weight of this shape: [O, I] is [O, I, 1]; [O, I, d2, ...] is
     * [O, I, d2*...]; a 1-d tensor [n] is [n, 1, 1], so every element is its own group
     * whatever the grouping asks (a vector has no filters or channels).
     */
    public static GroupGeometry of(int[] shape, Grouping grouping) {
        if (shape.length == 0) throw new IllegalArgumentException("a scalar has no groups; give a shape of rank >= 1");
        if (shape.length == 1) return new GroupGeometry(shape[0], 1, 1, Grouping.FILTERS);
        long k = 1;
        for (int i = 2; i < shape.length; i++) k *= shape[i];
        if (k > Integer.MAX_VALUE) throw new IllegalArgumentException("kernel of shape " + Arrays.toString(shape) + " is too large");
        return new GroupGeometry(shape[0], shape[1], (int) k, grouping);
    }

    /** Elements of the tensor, O*I*K. */
    public int size() { return outputs * inputs * kernel; }

    /** Number of groups. */
    public int groups() {
        return switch (grouping) {
            case FILTERS -> outputs;
            case CHANNELS -> inputs;
            case KERNELS -> outputs * inputs;
        };
    }

    /** Elements per group (every group has the same size). */
    public int groupSize() {
        return switch (grouping) {
            case FILTERS -> inputs * kernel;
            case CHANNELS -> outputs * kernel;
            case KERNELS -> kernel;
        };
    }

    /** Length of a contiguous run of a group's elements (the whole group unless it is strided). */
    public int segment() { return grouping == Grouping.CHANNELS ? kernel : groupSize(); }

    /** Distance between the starts of two runs of one group (channels: I*K; otherwise one group's size, unused). */
    public int stride() { return grouping == Grouping.CHANNELS ? inputs * kernel : groupSize(); }

    /** Whether each group is one contiguous range (filters, kernels; channels only when O = 1). */
    public boolean contiguous() { return segment() == groupSize(); }

    /** Index in the tensor of element p of group g. */
    public long element(int g, int p) {
        int seg = segment();
        return (long) (p / seg) * stride() + (long) g * seg + p % seg;
    }

    /**
     * Element e of the tensor belongs to group {@code (e / segment()) % period()}: the groups
     * whose runs follow each other before the first group's next run (channels: I; a
     * contiguous grouping: all of them). What group_mask_apply computes.
     */
    public int period() { return grouping == Grouping.CHANNELS ? inputs : groups(); }

    @Override
    public String toString() {
        return "[" + outputs + ", " + inputs + ", " + kernel + "] by " + grouping.id();
    }
}
