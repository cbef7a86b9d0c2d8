package io.sparsestep.train.masks;

import io.sparsestep.train.io.SimilarityHeatmap;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.function.ToDoubleFunction;

/**
 * The heat map of mask pairs ({@code masks compare}'s jaccard.png, and an experiment's): pairs
 * down, layers and "overall" across; the Jaccard index above, and below it the chance level of
 * each cell.
 */
public final class SimilarityPng {
    private SimilarityPng() {}

    public static void write(List<MaskSimilarity.Pair> pairs, Path png) throws IOException {
        List<String> rows = pairs.stream().map(MaskSimilarity.Pair::name).toList();
        List<String> columns = SimilarityTable.rows(pairs.getFirst()).stream().map(LayerSimilarity::layer).toList();
        SimilarityHeatmap.write(png, List.of(
                panel("Jaccard index of the kept weights", "Jaccard", rows, columns, pairs, LayerSimilarity::jaccard),
                panel("chance level (two independent random masks of the same densities)", "chance", rows, columns, pairs,
                        LayerSimilarity::chance)));
    }

    private static SimilarityHeatmap.Panel panel(String title, String value, List<String> rows, List<String> columns,
                                                 List<MaskSimilarity.Pair> pairs, ToDoubleFunction<LayerSimilarity> of) {
        double[][] values = pairs.stream().map(p -> SimilarityTable.rows(p).stream().mapToDouble(of).toArray()).toArray(double[][]::new);
        return new SimilarityHeatmap.Panel(new SimilarityHeatmap.Labels(title, "pair", "layer", value, rows, columns), values);
    }
}
