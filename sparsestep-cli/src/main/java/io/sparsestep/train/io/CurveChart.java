package io.sparsestep.train.io;

import java.awt.BasicStroke;
import java.awt.Color;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.lines.SeriesLines;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * {@code curve.png} of {@code analyze curve}: the loss and the error along each path between
 * two runs' weights (t = 0 the first run, t = 1 the second), one colour per path, training
 * split solid and test split dashed. The loss panel is logarithmic: along a trained curve the
 * training loss stays near its endpoints' 1e-3 while the straight line may climb to order 1,
 * and both must be readable.
 */
public final class CurveChart {
    public static final String FILE_NAME = "curve.png";
    static final int WIDTH = 960;
    static final int PANEL_HEIGHT = 480;

    /** One path's values at its points t (all arrays as long as {@code t}). */
    public record Series(String label, double[] t, double[] trainLoss, double[] testLoss, double[] trainError, double[] testError) {
        public Series {
            for (double[] a : List.of(trainLoss, testLoss, trainError, testError)) {
                if (a.length != t.length) throw new IllegalArgumentException(label + ": " + a.length + " values for " + t.length + " points");
            }
        }
    }

    private CurveChart() {}

    /** Writes the two panels (loss above, error below) to {@code png}, atomically. */
    public static void write(Path png, String title, List<Series> paths) throws IOException {
        if (paths.isEmpty()) throw new IllegalArgumentException("curve chart '" + title + "' has no paths");
        Charts.write(png, Charts.stacked(Charts.image(panel(title + ": loss (log scale)", "mean cross-entropy", paths, true)),
                Charts.image(panel("error (1 - accuracy)", "error", paths, false))));
    }

    static XYChart panel(String title, String yTitle, List<Series> paths, boolean loss) {
        XYChart chart = new XYChartBuilder().width(WIDTH).height(PANEL_HEIGHT).title(title).xAxisTitle("t (0: first run, 1: second run)")
                .yAxisTitle(yTitle).build();
        chart.getStyler().setXAxisMin(0.0).setXAxisMax(1.0).setXAxisDecimalPattern("0.0#")
                .setLegendPosition(Styler.LegendPosition.OutsideS).setLegendLayout(Styler.LegendLayout.Horizontal)
                .setChartBackgroundColor(Color.WHITE);
        chart.getStyler().setYAxisLogarithmic(loss);
        chart.getStyler().setYAxisDecimalPattern(loss ? "0.0E0" : "0.0###");
        for (int i = 0; i < paths.size(); i++) {
            Series p = paths.get(i);
            Color colour = Charts.colour(i);
            add(chart, p.label() + " train", p.t(), loss ? p.trainLoss() : p.trainError(), colour, SeriesLines.SOLID);
            add(chart, p.label() + " test", p.t(), loss ? p.testLoss() : p.testError(), colour, SeriesLines.DASH_DASH);
        }
        return chart;
    }

    private static void add(XYChart chart, String name, double[] x, double[] y, Color colour, BasicStroke line) {
        XYSeries s = chart.addSeries(name, x, y);
        s.setLineColor(colour);
        s.setLineStyle(line);
        s.setMarker(SeriesMarkers.NONE);
    }
}
