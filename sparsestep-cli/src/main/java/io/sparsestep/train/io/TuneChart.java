package io.sparsestep.train.io;

import org.knowm.xchart.AnnotationLine;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

import java.awt.BasicStroke;
import java.awt.Color;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;

/**
 * {@code tune.png}: validation accuracy (top) and sparsity (bottom) against c on a log axis,
 * one marker per finished trial, with the reference's accuracy and the tolerance below it as
 * dashed lines and the chosen c as a vertical line, so where the accuracy falls off reads at a
 * glance.
 */
public final class TuneChart {
    public static final String FILE_NAME = "tune.png";
    static final int WIDTH = 960;
    static final int HEIGHT = 420;

    /** One finished trial: its c, validation accuracy and sparsities (all parameters, conv/linear weights). */
    public record Point(double c, double accuracy, double sparsity, double weightSparsity) {}

    private TuneChart() {}

    /** {@code chosen} may be null (no c kept the accuracy). */
    public static void write(Path png, String title, List<Point> points, double reference, double tolerancePoints, Double chosen)
            throws IOException {
        if (points.isEmpty()) throw new IllegalArgumentException("tune chart '" + title + "' has no finished trial");
        List<Point> sorted = points.stream().sorted(Comparator.comparingDouble(Point::c)).toList();
        double[] c = sorted.stream().mapToDouble(Point::c).toArray();
        XYChart acc = chart(title, "validation accuracy");
        XYSeries a = acc.addSeries("validation accuracy", c, sorted.stream().mapToDouble(Point::accuracy).toArray());
        a.setMarker(SeriesMarkers.CIRCLE);
        a.setLineColor(Charts.colour(0));
        a.setMarkerColor(Charts.colour(0));
        acc.addAnnotation(new AnnotationLine(reference, false, false));
        acc.addAnnotation(new AnnotationLine(reference - tolerancePoints / 100, false, false));
        double low = Math.min(reference - tolerancePoints / 100, sorted.stream().mapToDouble(Point::accuracy).min().orElse(reference));
        double high = Math.max(reference, sorted.stream().mapToDouble(Point::accuracy).max().orElse(reference));
        double pad = Math.max(0.002, (high - low) * 0.08);
        acc.getStyler().setYAxisMin(low - pad);
        acc.getStyler().setYAxisMax(Math.min(1.0, high + pad));
        acc.getStyler().setYAxisDecimalPattern("0.0###");
        acc.setTitle(String.format(Locale.ROOT, "%s (dashed: SGD %.4f and %s points below)", title, reference, trim(tolerancePoints)));

        XYChart sp = chart("", "sparsity");
        XYSeries all = sp.addSeries("all parameters", c, sorted.stream().mapToDouble(Point::sparsity).toArray());
        XYSeries w = sp.addSeries("conv/linear weights", c, sorted.stream().mapToDouble(Point::weightSparsity).toArray());
        all.setMarker(SeriesMarkers.CIRCLE);
        all.setLineColor(Charts.colour(1));
        all.setMarkerColor(Charts.colour(1));
        w.setMarker(SeriesMarkers.DIAMOND);
        w.setLineColor(Charts.colour(2));
        w.setMarkerColor(Charts.colour(2));
        sp.getStyler().setLegendPosition(Styler.LegendPosition.InsideNW); // sparsity rises to the right
        sp.getStyler().setYAxisMin(0.0);
        sp.getStyler().setYAxisMax(1.0);
        sp.getStyler().setYAxisDecimalPattern("0.0#");
        if (chosen != null) {
            acc.addAnnotation(new AnnotationLine(chosen, true, false));
            sp.addAnnotation(new AnnotationLine(chosen, true, false));
        }
        Charts.write(png, Charts.stacked(Charts.image(acc), Charts.image(sp)));
    }

    private static XYChart chart(String title, String yTitle) {
        XYChart chart = new XYChartBuilder().width(WIDTH).height(HEIGHT).title(title).xAxisTitle("c (log scale)").yAxisTitle(yTitle).build();
        Styler s = chart.getStyler();
        chart.getStyler().setXAxisLogarithmic(true);
        chart.getStyler().setXAxisDecimalPattern("0.#####");
        s.setLegendPosition(Styler.LegendPosition.InsideNE);
        s.setChartBackgroundColor(Color.WHITE);
        s.setAnnotationLineColor(ParetoChart.REFERENCE);
        s.setAnnotationLineStroke(new BasicStroke(1.5f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, new float[]{8f, 6f}, 0f));
        return chart;
    }

    private static String trim(double v) {
        return java.math.BigDecimal.valueOf(v).stripTrailingZeros().toPlainString();
    }
}
