package io.sparsestep.optim;

import io.sparsestep.backend.Backend;
import io.sparsestep.backend.Philox;
import io.sparsestep.params.Mask;
import io.sparsestep.params.ParamGroup;
import io.sparsestep.params.ParamLayout;
import io.sparsestep.params.ParamSpace;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.List;

/**
 * The prune between two rounds of iterative pruning ({@link ImpRule}): it narrows a mask in
 * place by the scores held in a space's conv/linear weights (the trained weights for the L1
 * criterion, {@link #writeRandomScores} for the random one). Entries the mask already prunes
 * stay pruned, so the masks of successive rounds are nested. Unstructured pruning is the
 * selection one-shot magnitude pruning uses ({@code MaskPruning.removeShare}, on the backend);
 * filter norms are computed on the host from one download per layer.
 */
public final class ImpPruning {
    /** The Philox stream of the random criterion's scores (DropPruning draws on streams 0 and 1). */
    static final int RANDOM_STREAM = 2;

    private ImpPruning() {}

    /** Prunes {@code mask} by {@code rule}, ranking by the weights group of {@code scores}. */
    public static void apply(ParamSpace scores, Mask mask, ImpRule rule) {
        Backend be = scores.backend();
        try (PrunableTensors prunable = new PrunableTensors(scores, mask)) {
            if (rule.structure() == ImpRule.Structure.UNSTRUCTURED) {
                MaskPruning.removeShare(be, prunable, rule.scope(), rule.fraction());
                return;
            }
            // the last conv/linear weight is the classifier: its rows are the classes
            List<PrunableTensors.Layer> layers = prunable.layers();
            byte[] kept = mask.toHost();
            for (PrunableTensors.Layer layer : layers.subList(0, layers.size() - 1)) pruneFilters(be, layer, kept, rule);
        }
    }

    /**
     * In one layer: the filters (rows: dimension 0) with any entry kept are the remaining
     * ones (torch counts channels not yet fully zeroed); k = round_half_even(fraction x
     * remaining) of them, at most remaining - 1 so a layer keeps a filter [G], with the smallest
     * Ln norm of their masked scores (in double, entries in index order) are pruned whole.
     */
    private static void pruneFilters(Backend be, PrunableTensors.Layer layer, byte[] groupMask, ImpRule rule) {
        int filters = layer.entry().shape()[0];
        int per = Math.toIntExact(layer.size() / filters);
        int base = Math.toIntExact(layer.indexBase());
        float[] w = download(be, layer);
        double[] norm = new double[filters];
        Integer[] remaining = new Integer[filters];
        int count = 0;
        for (int o = 0; o < filters; o++) {
            boolean any = false;
            double s = 0;
            for (int j = o * per; j < (o + 1) * per; j++) {
                if (groupMask[base + j] == 0) continue;
                any = true;
                s += Math.pow(Math.abs((double) w[j]), rule.norm());
            }
            norm[o] = Math.pow(s, 1 / rule.norm());
            if (any) remaining[count++] = o;
        }
        long prune = Math.min(MaskPruning.roundHalfEven(rule.fraction() * count), Math.max(0, count - 1));
        if (prune == 0) return;
        Integer[] order = Arrays.copyOf(remaining, count);
        // largest norm first, ties by index, lowest first: the last `prune` go
        Arrays.sort(order, (a, b) -> norm[a] != norm[b] ? Double.compare(norm[b], norm[a]) : Integer.compare(a, b));
        byte[] layerMask = Arrays.copyOfRange(groupMask, base, base + Math.toIntExact(layer.size()));
        for (int r = count - Math.toIntExact(prune); r < count; r++) Arrays.fill(layerMask, order[r] * per, (order[r] + 1) * per, (byte) 0);
        be.upload(MemorySegment.ofArray(layerMask), layer.mask());
    }

    private static float[] download(Backend be, PrunableTensors.Layer layer) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment host = arena.allocate(4 * layer.size(), 64);
            be.download(layer.w(), host);
            return host.toArray(ValueLayout.JAVA_FLOAT);
        }
    }

    /**
     * Overwrites the conv/linear weights of {@code space} with the random criterion's scores:
     * weight i of the group (in the group's order) gets {@code Philox.uniform(seed, i, round,
     * stream 2)}, uniform in [0, 1) on a 2^-24 grid, so a round's draw is a pure function of
     * (seed, round) on any backend and thread count. The pruned are the smallest scores (torch
     * prunes the largest of its noise: the same law, a uniformly random subset).
     */
    public static void writeRandomScores(ParamSpace space, long seed, int round) {
        ParamLayout.Range range = space.layout().group(ParamGroup.WEIGHTS);
        int n = Math.toIntExact(range.length());
        float[] scores = new float[n];
        for (int i = 0; i < n; i++) scores[i] = Philox.uniform(seed, i, round, RANDOM_STREAM);
        space.backend().upload(MemorySegment.ofArray(scores), space.values().group(ParamGroup.WEIGHTS));
    }
}
