package io.sparsestep.train.io;

import io.sparsestep.store.EpochRow;

import java.awt.Color;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.knowm.xchart.HeatMapChart;
import org.knowm.xchart.HeatMapChartBuilder;
import org.knowm.xchart.style.Styler;

/**
 * {@code chart-layers.png}: the sparsity of every prunable layer after every epoch of one run,
 * as a heat map (epochs across, layers down in network order, white 0 to blue 1). One line
 * per layer would be 57 lines in 57 colours for ResNet-56; a row per layer stays readable, and
 * the image grows with the layer count so every row keeps its label.
 */
public final class LayerSparsityChart {
    public static final String FILE_NAME = "chart-layers.png";
    static final int WIDTH = 960;
    /** Pixels per layer row, and what the title, axis and legend take besides. */
    static final int ROW_HEIGHT = 16;
    static final int FRAME_HEIGHT = 140;
    static final int MIN_HEIGHT = 400;
    static final Color PRUNED = Charts.colour(0);
    /** More epoch labels than this overlap on a 960-pixel axis. */
    private static final int MAX_EPOCH_LABELS = 16;

    private LayerSparsityChart() {}

    /** Writes {@code png} for {@code rows}, the epochs of one run in order, all with the same layers. */
    public static void write(Path png, String title, List<EpochRow> rows) throws IOException {
        Charts.write(png, Charts.image(chart(title, rows)));
    }

    static int height(int layers) {
        return Math.max(MIN_HEIGHT, FRAME_HEIGHT + ROW_HEIGHT * layers);
    }

    static HeatMapChart chart(String title, List<EpochRow> rows) {
        if (rows.isEmpty()) {
            throw new IllegalArgumentException("layer chart '" + title + "' has no epochs; chart it after the first epoch");
        }
        List<String> layers = List.copyOf(rows.getFirst().layerSparsity().keySet());
        if (layers.isEmpty()) {
            throw new IllegalArgumentException("layer chart '" + title + "' has no layers; the model has nothing to prune");
        }
        // the heat map draws its first row at the bottom: reversed, the network reads top down
        List<String> rowsDown = new ArrayList<>(layers.reversed());
        List<Integer> epochs = new ArrayList<>();
        List<Number[]> cells = new ArrayList<>();
        for (int e = 0; e < rows.size(); e++) {
            EpochRow row = rows.get(e);
            if (!row.layerSparsity().keySet().equals(rows.getFirst().layerSparsity().keySet())) {
                throw new IllegalArgumentException("layer chart '" + title + "': epoch " + row.epoch()
                        + " reports other layers than epoch " + rows.getFirst().epoch() + "; report the same layers every epoch");
            }
            epochs.add(row.epoch());
            for (int l = 0; l < rowsDown.size(); l++) {
                cells.add(new Number[]{e, l, row.layerSparsity().get(rowsDown.get(l))});
            }
        }
        HeatMapChart chart = new HeatMapChartBuilder().width(WIDTH).height(height(layers.size()))
                .title(title).xAxisTitle("epoch").yAxisTitle("layer").build();
        chart.getStyler().setMin(0).setMax(1).setRangeColors(new Color[]{Color.WHITE, PRUNED})
                .setShowValue(false).setDrawBorder(false)
                .setLegendPosition(Styler.LegendPosition.OutsideE);
        chart.getStyler().setXAxisMaxLabelCount(MAX_EPOCH_LABELS).setChartBackgroundColor(Color.WHITE);
        chart.addSeries("sparsity", epochs, rowsDown, cells);
        return chart;
    }
}
