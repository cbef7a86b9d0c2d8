package io.sparsestep.train.io;

import io.sparsestep.store.EpochRow;

import java.awt.BasicStroke;
import java.awt.Color;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.ToDoubleFunction;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.lines.SeriesLines;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * The progress picture of one or more runs ({@code chart.png}), one colour per run, in two
 * panels. Above: test accuracy (solid) on the left axis, scaled to the accuracies reached, and
 * sparsity (dashed) on the right axis, 0..1; on one shared 0..1 axis the accuracies that
 * matter (0.9967 against 0.9972) would be the same pixel row. Below: the training loss.
 */
public final class ProgressChart {
    public static final String FILE_NAME = "chart.png";
    static final int WIDTH = 960;
    static final int TOP_HEIGHT = 600;
    static final int LOSS_HEIGHT = 340;
    static final int HEIGHT = TOP_HEIGHT + LOSS_HEIGHT;
    static final int ACCURACY_AXIS = 0;
    static final int SPARSITY_AXIS = 1;
    /**
     * The accuracy axis spans at least this much, so flat curves get a readable axis and
     * a difference of 0.0005 between runs is a third of the panel rather than a pixel.
     */
    static final double MIN_ACCURACY_SPAN = 0.002;
    /** Beyond this many epochs per run, point markers only clutter the lines. */
    private static final int MAX_MARKED_EPOCHS = 30;

    private ProgressChart() {}

    /**
     * Writes {@code png} with one accuracy, one sparsity and one loss curve per entry of
     * {@code runsByLabel} (label, e.g. "gRDA", to its epochs in order).
     */
    public static void write(Path png, String title, Map<String, List<EpochRow>> runsByLabel)
            throws IOException {
        requireEpochs(title, runsByLabel);
        Charts.write(png, Charts.stacked(Charts.image(accuracyAndSparsity(title, runsByLabel)),
                Charts.image(trainLoss(runsByLabel))));
    }

    /** The upper panel: accuracy on its own axis, sparsity on the right. */
    static XYChart accuracyAndSparsity(String title, Map<String, List<EpochRow>> runsByLabel) {
        requireEpochs(title, runsByLabel);
        XYChart chart = panel(TOP_HEIGHT, title);
        chart.setYAxisGroupTitle(ACCURACY_AXIS, "test accuracy (solid)");
        chart.setYAxisGroupTitle(SPARSITY_AXIS, "sparsity (dashed)");
        double[] accuracy = accuracyRange(runsByLabel);
        chart.getStyler().setYAxisGroupPosition(SPARSITY_AXIS, Styler.YAxisPosition.Right);
        chart.getStyler().setYAxisMin(ACCURACY_AXIS, accuracy[0]).setYAxisMax(ACCURACY_AXIS, accuracy[1])
                .setYAxisMin(SPARSITY_AXIS, 0.0).setYAxisMax(SPARSITY_AXIS, 1.0);
        chart.getStyler().putYAxisGroupDecimalPatternMap(ACCURACY_AXIS, "0.0###");
        chart.getStyler().putYAxisGroupDecimalPatternMap(SPARSITY_AXIS, "0.0");
        int runIndex = 0;
        for (Map.Entry<String, List<EpochRow>> run : runsByLabel.entrySet()) {
            Color colour = Charts.colour(runIndex++);
            addCurve(chart, run.getKey() + " accuracy", run.getValue(), EpochRow::testAccuracy, colour,
                    SeriesLines.SOLID, ACCURACY_AXIS);
            addCurve(chart, run.getKey() + " sparsity", run.getValue(), EpochRow::sparsity, colour,
                    SeriesLines.DASH_DASH, SPARSITY_AXIS);
        }
        return chart;
    }

    /** The lower panel: mean training loss per epoch. */
    static XYChart trainLoss(Map<String, List<EpochRow>> runsByLabel) {
        XYChart chart = panel(LOSS_HEIGHT, "training loss");
        chart.setYAxisTitle("train loss");
        chart.getStyler().setYAxisDecimalPattern("0.0###");
        int runIndex = 0;
        for (Map.Entry<String, List<EpochRow>> run : runsByLabel.entrySet()) {
            addCurve(chart, run.getKey() + " train loss", run.getValue(), EpochRow::trainLoss,
                    Charts.colour(runIndex++), SeriesLines.SOLID, 0);
        }
        return chart;
    }

    /**
     * {min, max} of the accuracy axis: the accuracies of all runs, widened to
     * {@link #MIN_ACCURACY_SPAN} around their middle, plus a tenth, within 0..1.
     */
    static double[] accuracyRange(Map<String, List<EpochRow>> runsByLabel) {
        double lo = Double.POSITIVE_INFINITY, hi = Double.NEGATIVE_INFINITY;
        for (List<EpochRow> rows : runsByLabel.values()) {
            for (EpochRow row : rows) {
                lo = Math.min(lo, row.testAccuracy());
                hi = Math.max(hi, row.testAccuracy());
            }
        }
        double half = 1.1 * Math.max(hi - lo, MIN_ACCURACY_SPAN) / 2;
        double mid = (lo + hi) / 2;
        return new double[]{Math.max(0, mid - half), Math.min(1, mid + half)};
    }

    private static XYChart panel(int height, String title) {
        XYChart chart = new XYChartBuilder().width(WIDTH).height(height).title(title).xAxisTitle("epoch").build();
        chart.getStyler().setXAxisDecimalPattern("0")
                .setLegendPosition(Styler.LegendPosition.OutsideS)
                .setLegendLayout(Styler.LegendLayout.Horizontal)
                .setChartBackgroundColor(Color.WHITE);
        return chart;
    }

    private static void requireEpochs(String title, Map<String, List<EpochRow>> runsByLabel) {
        if (runsByLabel.isEmpty()) {
            throw new IllegalArgumentException("progress chart '" + title
                    + "' has no runs; pass at least one label with its epochs");
        }
        runsByLabel.forEach((label, rows) -> {
            if (rows.isEmpty()) {
                throw new IllegalArgumentException("progress chart '" + title + "': run '"
                        + label + "' has no epochs; chart it after its first epoch");
            }
        });
    }

    private static void addCurve(XYChart chart, String name, List<EpochRow> rows, ToDoubleFunction<EpochRow> value,
                                 Color colour, BasicStroke line, int axis) {
        double[] x = new double[rows.size()];
        double[] y = new double[rows.size()];
        for (int i = 0; i < rows.size(); i++) {
            x[i] = rows.get(i).epoch();
            y[i] = value.applyAsDouble(rows.get(i));
        }
        XYSeries series = chart.addSeries(name, x, y);
        series.setYAxisGroup(axis);
        series.setLineColor(colour);
        series.setLineStyle(line);
        series.setMarker(rows.size() <= MAX_MARKED_EPOCHS ? SeriesMarkers.CIRCLE : SeriesMarkers.NONE);
        series.setMarkerColor(colour);
    }
}
