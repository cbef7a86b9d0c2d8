package io.sparsestep.train.masks;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The similarity of mask pairs as text: a console table, markdown and CSV, one row per pair
 * and layer and one "overall" row per pair. Densities are the shares kept; the chance
 * column is the exact expected Jaccard index of two random masks of those sizes
 * ({@link Jaccard#chance}).
 */
public final class SimilarityTable {
    static final List<String> CSV_HEADER = List.of("a", "b", "layer", "entries", "kept_a", "kept_b", "kept_both", "kept_either",
            "density_a", "density_b", "jaccard", "chance");

    /** What the columns mean, under every table of them. */
    public static final String NOTE = "Jaccard: |A ∩ B| / |A ∪ B| over the kept weights (1 for identical masks, also when both keep nothing). "
            + "Chance: the exact expected Jaccard index of two independent uniformly random masks keeping as many weights of the layer "
            + "(hypergeometric overlap), which tends to d1 d2 / (d1 + d2 - d1 d2) for large layers; the overall row pools all "
            + "conv/linear weights, its chance level is that of random masks over all of them with the overall densities.";

    private SimilarityTable() {}

    /** One line per mask: its label, file, source and sparsity of the conv/linear weights. */
    public static String inputs(List<RunMask> masks) {
        StringBuilder b = new StringBuilder();
        for (RunMask m : masks) {
            b.append(String.format(Locale.ROOT, "%s: %s (%s): sparsity %.4f of %,d conv/linear weights%n", m.label(), m.file(), m.source().words(),
                    m.sparsity(), m.size()));
        }
        return b.toString();
    }

    /** Aligned columns for the console. */
    public static String console(List<MaskSimilarity.Pair> pairs) {
        int pairWidth = Math.max(4, pairs.stream().mapToInt(p -> p.name().length()).max().orElse(0));
        int layerWidth = Math.max(5, pairs.stream().flatMap(p -> rows(p).stream()).mapToInt(r -> r.layer().length()).max().orElse(0));
        String format = "%-" + pairWidth + "s  %-" + layerWidth + "s %12s %10s %10s %9s %9s%n";
        StringBuilder out = new StringBuilder(String.format(Locale.ROOT, format, "pair", "layer", "entries", "density A", "density B",
                "Jaccard", "chance"));
        for (MaskSimilarity.Pair p : pairs) {
            for (LayerSimilarity r : rows(p)) {
                out.append(String.format(Locale.ROOT, format, p.name(), r.layer(), String.format(Locale.ROOT, "%,d", r.size()),
                        f4(r.densityA()), f4(r.densityB()), f4(r.jaccard()), f4(r.chance())));
            }
        }
        return out.toString();
    }

    /** A markdown table with the counts behind each index. */
    public static String markdown(List<MaskSimilarity.Pair> pairs) {
        StringBuilder out = new StringBuilder();
        out.append("| pair | layer | entries | kept A | kept B | kept by both | density A | density B | Jaccard | chance |\n");
        out.append("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        for (MaskSimilarity.Pair p : pairs) {
            for (LayerSimilarity r : rows(p)) {
                out.append(String.format(Locale.ROOT, "| %s | %s | %,d | %,d | %,d | %,d | %s | %s | %s | %s |%n", cell(p.name()), cell(r.layer()),
                        r.size(), r.keptA(), r.keptB(), r.intersection(), f4(r.densityA()), f4(r.densityB()), f4(r.jaccard()), f4(r.chance())));
            }
        }
        return out.toString();
    }

    /** CSV with a header line; numbers as the shortest decimal of the double (Double.toString). */
    public static String csv(List<MaskSimilarity.Pair> pairs) {
        StringBuilder out = new StringBuilder(String.join(",", CSV_HEADER)).append('\n');
        for (MaskSimilarity.Pair p : pairs) {
            for (LayerSimilarity r : rows(p)) {
                List<String> cells = List.of(csvCell(p.a().label()), csvCell(p.b().label()), csvCell(r.layer()), Long.toString(r.size()),
                        Long.toString(r.keptA()), Long.toString(r.keptB()), Long.toString(r.intersection()), Long.toString(r.union()),
                        Double.toString(r.densityA()), Double.toString(r.densityB()), Double.toString(r.jaccard()), Double.toString(r.chance()));
                out.append(String.join(",", cells)).append('\n');
            }
        }
        return out.toString();
    }

    /** The layers of a pair, then its overall row. */
    public static List<LayerSimilarity> rows(MaskSimilarity.Pair p) {
        List<LayerSimilarity> rows = new ArrayList<>(p.layers());
        rows.add(p.overall());
        return rows;
    }

    private static String f4(double v) { return String.format(Locale.ROOT, "%.4f", v); }

    /** A pipe inside a cell would end it. */
    static String cell(String text) { return text.replace("|", "\\|"); }

    private static String csvCell(String text) {
        return text.contains(",") || text.contains("\"") || text.contains("\n") ? "\"" + text.replace("\"", "\"\"") + "\"" : text;
    }
}
