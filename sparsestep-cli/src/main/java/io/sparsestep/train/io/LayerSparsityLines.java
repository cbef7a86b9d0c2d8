package io.sparsestep.train.io;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The per-layer sparsity an epoch prints on the console. A small network shows every layer
 * in network order on one line; a deep one (ResNet-56: 57 layers, 3,000 characters on one
 * line) shows the {@link #SHOWN} / 2 least and most sparse layers, on a line each, and says
 * how many more there are in metrics.csv, where every layer has its column.
 */
public final class LayerSparsityLines {
    /** At most this many layers are named on the console. */
    public static final int SHOWN = 8;
    private static final String INDENT = "      ";

    private LayerSparsityLines() {}

    /** The lines to print, without line ends; none when there are no layers. */
    public static List<String> of(Map<String, Double> perLayer) {
        List<Map.Entry<String, Double>> layers = List.copyOf(perLayer.entrySet());
        if (layers.isEmpty()) return List.of();
        if (layers.size() <= SHOWN) {
            return List.of(INDENT + "layer sparsity: " + join(layers));
        }
        // stable: layers of equal sparsity keep their network order
        List<Map.Entry<String, Double>> sorted = new ArrayList<>(layers);
        sorted.sort(Comparator.comparingDouble(Map.Entry::getValue));
        int half = SHOWN / 2;
        List<Map.Entry<String, Double>> least = sorted.subList(0, half);
        List<Map.Entry<String, Double>> most = sorted.subList(sorted.size() - half, sorted.size());
        return List.of(INDENT + "least sparse layers: " + join(least),
                INDENT + "most sparse layers:  " + join(most) + "  (" + (layers.size() - SHOWN) + " more in metrics.csv)");
    }

    private static String join(List<Map.Entry<String, Double>> layers) {
        StringBuilder sb = new StringBuilder();
        for (Map.Entry<String, Double> layer : layers) {
            if (!sb.isEmpty()) sb.append("  ");
            sb.append(layer.getKey()).append(' ').append(String.format(Locale.ROOT, "%.3f", layer.getValue()));
        }
        return sb.toString();
    }
}
