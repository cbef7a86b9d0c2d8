package io.sparsestep.train.masks;

import java.util.ArrayList;
import java.util.List;

/**
 * The similarity of every pair of run masks, per layer and overall. All masks must be of
 * one model (same tensor names and shapes); the first difference is refused in one line.
 * The overall row pools the layers: its Jaccard index is over all conv/linear weights, and
 * its chance level is that of two random masks over all of them with the overall densities.
 */
public final class MaskSimilarity {
    private MaskSimilarity() {}

    /** One pair of masks: per layer in network order, and all layers together. */
    public record Pair(RunMask a, RunMask b, List<LayerSimilarity> layers, LayerSimilarity overall) {
        public Pair {
            layers = List.copyOf(layers);
        }

        /** "grda vs gsm". */
        public String name() { return a.label() + " vs " + b.label(); }
    }

    /** Every pair (i, j), i before j in the given order. */
    public static List<Pair> compare(List<RunMask> masks) {
        if (masks.size() < 2) throw new IllegalArgumentException("masks compare needs at least two runs, got " + masks.size());
        requireOneModel(masks);
        List<Pair> pairs = new ArrayList<>();
        for (int i = 0; i < masks.size(); i++) {
            for (int j = i + 1; j < masks.size(); j++) pairs.add(pair(masks.get(i), masks.get(j)));
        }
        return pairs;
    }

    /** Refuses masks of different models in one line naming the first difference. */
    public static void requireOneModel(List<RunMask> masks) {
        if (masks.size() < 2) return;
        for (RunMask m : masks.subList(1, masks.size())) {
            masks.getFirst().firstDifference(m).ifPresent(d -> {
                throw new IllegalArgumentException("not the same model: " + d + "; compare masks of runs of one model");
            });
        }
    }

    /** Two masks of one model (checked by {@link #compare}). */
    static Pair pair(RunMask a, RunMask b) {
        List<LayerSimilarity> layers = new ArrayList<>();
        LayerSimilarity all = new LayerSimilarity(LayerSimilarity.OVERALL, 0, 0, 0, 0);
        for (int l = 0; l < a.layers().size(); l++) {
            LayerMask x = a.layers().get(l), y = b.layers().get(l);
            LayerSimilarity s = new LayerSimilarity(x.layer(), x.size(), x.keptCount(), y.keptCount(), x.intersection(y));
            layers.add(s);
            all = all.plus(s, LayerSimilarity.OVERALL);
        }
        return new Pair(a, b, layers, all);
    }
}
