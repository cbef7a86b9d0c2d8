package io.sparsestep.train.io;

import java.awt.BasicStroke;
import java.awt.Color;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.lines.SeriesLines;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * The progress picture of one or more runs: test accuracy (solid) and sparsity (dashed)
 * against epoch, one colour per run, on a shared 0..1 axis since both are fractions.
 * Rendered off-screen to PNG bytes and then written atomically, so a viewer refreshing
 * the file never sees half an image.
 */
public final class ProgressChart {
    public static final String FILE_NAME = "progress.png";
    static final int WIDTH = 960;
    static final int HEIGHT = 600;
    /** Beyond this many epochs per run, point markers only clutter the lines. */
    private static final int MAX_MARKED_EPOCHS = 30;
    /** Colour-blind-safe (Okabe-Ito) so runs stay distinguishable on any screen or print. */
    private static final List<Color> PALETTE = List.of(
            new Color(0x0072B2), new Color(0xD55E00), new Color(0x009E73), new Color(0xCC79A7),
            new Color(0xE69F00), new Color(0x56B4E9), new Color(0x000000), new Color(0xF0E442));

    static {
        // A training run never has a display; without this, AWT may try to reach one.
        if (System.getProperty("java.awt.headless") == null) {
            System.setProperty("java.awt.headless", "true");
        }
    }

    private ProgressChart() {}

    /**
     * Writes {@code png} with one accuracy and one sparsity curve per entry of
     * {@code runsByLabel} (label, e.g. "gRDA", to its epochs in order).
     */
    public static void write(Path png, String title, Map<String, List<EpochRow>> runsByLabel)
            throws IOException {
        byte[] bytes = render(title, runsByLabel);
        AtomicFiles.write(png, out -> out.write(bytes));
    }

    /** The chart as PNG bytes. */
    static byte[] render(String title, Map<String, List<EpochRow>> runsByLabel) throws IOException {
        if (runsByLabel.isEmpty()) {
            throw new IllegalArgumentException("progress chart '" + title
                    + "' has no runs; pass at least one label with its epochs");
        }
        XYChart chart = new XYChartBuilder().width(WIDTH).height(HEIGHT).title(title)
                .xAxisTitle("epoch").yAxisTitle("test accuracy / sparsity").build();
        chart.getStyler().setYAxisMin(0.0).setYAxisMax(1.0).setYAxisDecimalPattern("0.0")
                .setXAxisDecimalPattern("0");
        chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideS)
                .setLegendLayout(Styler.LegendLayout.Horizontal)
                .setChartBackgroundColor(Color.WHITE);
        int runIndex = 0;
        for (Map.Entry<String, List<EpochRow>> run : runsByLabel.entrySet()) {
            List<EpochRow> rows = run.getValue();
            if (rows.isEmpty()) {
                throw new IllegalArgumentException("progress chart '" + title + "': run '"
                        + run.getKey() + "' has no epochs; chart it after its first epoch");
            }
            double[] epochs = new double[rows.size()];
            double[] accuracy = new double[rows.size()];
            double[] sparsity = new double[rows.size()];
            for (int i = 0; i < rows.size(); i++) {
                epochs[i] = rows.get(i).epoch();
                accuracy[i] = rows.get(i).testAccuracy();
                sparsity[i] = rows.get(i).sparsity();
            }
            Color colour = PALETTE.get(runIndex++ % PALETTE.size());
            boolean marked = rows.size() <= MAX_MARKED_EPOCHS;
            addCurve(chart, run.getKey() + " accuracy", epochs, accuracy, colour,
                    SeriesLines.SOLID, marked);
            addCurve(chart, run.getKey() + " sparsity", epochs, sparsity, colour,
                    SeriesLines.DASH_DASH, marked);
        }
        return BitmapEncoder.getBitmapBytes(chart, BitmapEncoder.BitmapFormat.PNG);
    }

    private static void addCurve(XYChart chart, String name, double[] x, double[] y, Color colour,
                                 BasicStroke line, boolean marked) {
        XYSeries series = chart.addSeries(name, x, y);
        series.setLineColor(colour);
        series.setLineStyle(line);
        series.setMarker(marked ? SeriesMarkers.CIRCLE : SeriesMarkers.NONE);
        series.setMarkerColor(colour);
    }
}
