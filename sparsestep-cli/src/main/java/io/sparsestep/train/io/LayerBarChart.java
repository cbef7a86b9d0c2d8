package io.sparsestep.train.io;

import io.sparsestep.store.AtomicFiles;

import java.awt.Color;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.CategorySeries;
import org.knowm.xchart.style.CategoryStyler;
import org.knowm.xchart.style.Styler;

/**
 * {@code layers.png} of a comparison: the sparsity of every prunable layer, one bar per method
 * and layer, methods side by side in the comparison's colours, layers in network order. The
 * image widens with layers times methods, so every bar of a ResNet-56 stays a few pixels wide.
 */
public final class LayerBarChart {
    public static final String FILE_NAME = "layers.png";
    static final int MIN_WIDTH = 960;
    static final int HEIGHT = 560;
    /** Pixels per bar, and what the axes and legend take besides. */
    static final int BAR_WIDTH = 10;
    static final int FRAME_WIDTH = 200;

    private LayerBarChart() {}

    /**
     * Writes {@code png} for {@code sparsityByMethod} (method label to layer to sparsity, every
     * method with the same layers) and returns its bytes (for embedding).
     */
    public static byte[] write(Path png, String title, LinkedHashMap<String, LinkedHashMap<String, Double>> sparsityByMethod) throws IOException {
        byte[] bytes = Charts.png(Charts.image(chart(title, sparsityByMethod)));
        AtomicFiles.write(png, out -> out.write(bytes));
        return bytes;
    }

    static int width(int layers, int methods) {
        return Math.max(MIN_WIDTH, FRAME_WIDTH + (int) Math.ceil(BAR_WIDTH * layers * methods / 0.8));
    }

    static CategoryChart chart(String title, LinkedHashMap<String, LinkedHashMap<String, Double>> sparsityByMethod) {
        if (sparsityByMethod.isEmpty()) throw new IllegalArgumentException("layer chart '" + title + "' has no methods; it needs a finished run");
        Map.Entry<String, LinkedHashMap<String, Double>> first = sparsityByMethod.firstEntry();
        List<String> layers = List.copyOf(first.getValue().keySet());
        if (layers.isEmpty()) throw new IllegalArgumentException("layer chart '" + title + "' has no layers; the model has nothing to prune");
        CategoryChart chart = new CategoryChartBuilder().width(width(layers.size(), sparsityByMethod.size())).height(HEIGHT).title(title)
                .xAxisTitle("layer").yAxisTitle("sparsity (share of the layer's weights pruned)").build();
        CategoryStyler style = chart.getStyler();
        style.setAvailableSpaceFill(0.8);
        style.setYAxisMin(0.0);
        style.setYAxisMax(1.0);
        style.setYAxisDecimalPattern("0.0");
        style.setLegendPosition(Styler.LegendPosition.OutsideS);
        style.setLegendLayout(Styler.LegendLayout.Horizontal);
        style.setChartBackgroundColor(Color.WHITE);
        style.setXAxisLabelRotation(layers.size() > 12 ? 90 : 0);
        int index = 0;
        for (Map.Entry<String, LinkedHashMap<String, Double>> method : sparsityByMethod.entrySet()) {
            if (!method.getValue().keySet().equals(first.getValue().keySet())) {
                throw new IllegalArgumentException("layer chart '" + title + "': " + method.getKey() + " reports other layers than "
                        + first.getKey() + "; compare runs of one model");
            }
            CategorySeries s = chart.addSeries(method.getKey(), layers, new ArrayList<>(method.getValue().values()));
            s.setFillColor(Charts.colour(index++));
        }
        return chart;
    }
}
