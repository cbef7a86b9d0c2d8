package io.sparsestep.train.io;

import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.markers.SeriesMarkers;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Test accuracy against sparsity for several runs of rounds (IMP with rewinding and with
 * reinitialisation), one line with a marker per round for each, in the comparison's colours;
 * the axes as {@link ParetoChart}'s (sparsity 0..1, accuracy scaled to the values shown).
 */
public final class SparsityCurveChart {
    private SparsityCurveChart() {}

    /** Writes {@code png}: one series per entry of {@code curves} (its label to its points, in round order). */
    public static void write(Path png, String title, String sparsityTitle, LinkedHashMap<String, List<ParetoChart.Point>> curves)
            throws IOException {
        List<ParetoChart.Point> all = new ArrayList<>();
        curves.values().forEach(all::addAll);
        if (all.isEmpty()) throw new IllegalArgumentException("sparsity chart '" + title + "' has no points; it needs a finished round");
        XYChart chart = new XYChartBuilder().width(ParetoChart.WIDTH).height(ParetoChart.HEIGHT).title(title).xAxisTitle(sparsityTitle)
                .yAxisTitle("test accuracy").build();
        double[] range = ParetoChart.accuracyRange(all, null);
        ParetoChart.axes(chart.getStyler(), range);
        int i = 0;
        for (Map.Entry<String, List<ParetoChart.Point>> c : curves.entrySet()) {
            if (c.getValue().isEmpty()) continue;
            XYSeries s = chart.addSeries(c.getKey(), c.getValue().stream().mapToDouble(ParetoChart.Point::sparsity).toArray(),
                    c.getValue().stream().mapToDouble(ParetoChart.Point::accuracy).toArray());
            s.setMarker(i % 2 == 0 ? SeriesMarkers.CIRCLE : SeriesMarkers.DIAMOND);
            s.setLineColor(Charts.colour(i));
            s.setMarkerColor(Charts.colour(i));
            i++;
        }
        Charts.write(png, Charts.image(chart));
    }
}
