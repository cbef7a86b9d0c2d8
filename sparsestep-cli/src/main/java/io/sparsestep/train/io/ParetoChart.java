package io.sparsestep.train.io;

import io.sparsestep.store.AtomicFiles;

import java.awt.BasicStroke;
import java.awt.Color;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.knowm.xchart.AnnotationLine;
import org.knowm.xchart.AnnotationText;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.XYStyler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * {@code pareto.png} of a comparison: test accuracy against sparsity, one labelled point per
 * method in its own colour, and a reference method's accuracy (SGD's) as a dashed
 * horizontal line, so "as accurate as dense training, and how sparse" reads off at a glance.
 * Sparsity spans 0..1; the accuracy axis is scaled to the accuracies shown, as in
 * {@link ProgressChart}, since the differences that matter are a fraction of a point.
 */
public final class ParetoChart {
    public static final String FILE_NAME = "pareto.png";
    static final int WIDTH = 960;
    static final int HEIGHT = 640;
    static final Color REFERENCE = new Color(0x555555);
    /** The accuracy axis spans at least this much. */
    static final double MIN_ACCURACY_SPAN = 0.01;

    /** One method's result. */
    public record Point(String label, double sparsity, double accuracy) {}

    /** The horizontal line: a method's label and its accuracy. */
    public record Reference(String label, double accuracy) {}

    private ParetoChart() {}

    /** Writes {@code png} and returns its bytes (for embedding). {@code reference} may be null (no line). */
    public static byte[] write(Path png, String title, String sparsityTitle, List<Point> points, Reference reference) throws IOException {
        byte[] bytes = Charts.png(Charts.image(chart(title, sparsityTitle, points, reference)));
        AtomicFiles.write(png, out -> out.write(bytes));
        return bytes;
    }

    static XYChart chart(String title, String sparsityTitle, List<Point> points, Reference reference) {
        if (points.isEmpty()) throw new IllegalArgumentException("Pareto chart '" + title + "' has no points; it needs a finished run");
        XYChart chart = new XYChartBuilder().width(WIDTH).height(HEIGHT).title(title).xAxisTitle(sparsityTitle)
                .yAxisTitle("test accuracy").build();
        double[] range = accuracyRange(points, reference);
        XYStyler style = chart.getStyler();
        style.setDefaultSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
        style.setMarkerSize(12);
        axes(style, range);
        style.setAnnotationLineColor(REFERENCE);
        style.setAnnotationLineStroke(new BasicStroke(1.5f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, new float[]{8f, 6f}, 0f));
        style.setAnnotationTextFontColor(Color.BLACK);
        double lift = (range[1] - range[0]) * 0.035;
        double[] labelY = labelHeights(points, range, lift);
        for (int i = 0; i < points.size(); i++) {
            Point p = points.get(i);
            XYSeries s = chart.addSeries(p.label(), new double[]{p.sparsity()}, new double[]{p.accuracy()});
            s.setMarker(SeriesMarkers.CIRCLE);
            s.setMarkerColor(Charts.colour(i));
            // the label next to its point, so the chart reads without the legend
            chart.addAnnotation(new AnnotationText(p.label(), p.sparsity(), labelY[i], false));
        }
        if (reference != null) {
            chart.addAnnotation(new AnnotationLine(reference.accuracy(), false, false));
            chart.addAnnotation(new AnnotationText(reference.label() + " " + String.format(java.util.Locale.ROOT, "%.4f", reference.accuracy()),
                    0.5, reference.accuracy() - lift / 2, false));
        }
        return chart;
    }

    /** Sparsity 0..1 across, the accuracy {@code range} up, the legend below, a white background (also {@link SparsityCurveChart}'s). */
    static void axes(XYStyler style, double[] range) {
        style.setXAxisMin(0.0);
        style.setXAxisMax(1.0);
        style.setYAxisMin(range[0]);
        style.setYAxisMax(range[1]);
        style.setXAxisDecimalPattern("0.0#");
        style.setYAxisDecimalPattern("0.0###");
        style.setLegendPosition(Styler.LegendPosition.OutsideS);
        style.setLegendLayout(Styler.LegendLayout.Horizontal);
        style.setChartBackgroundColor(Color.WHITE);
    }

    /** A label is about this share of the sparsity axis wide: closer labels at the same height would overlap. */
    static final double LABEL_WIDTH = 0.14;

    /**
     * The height of each point's label: just above the point (clear of the top edge), or just
     * below it where that would cover an earlier label (points of methods that end alike, such
     * as two at 95% and 0.997), or higher still where both are taken.
     */
    static double[] labelHeights(List<Point> points, double[] range, double lift) {
        double[] y = new double[points.size()];
        for (int i = 0; i < points.size(); i++) {
            Point p = points.get(i);
            double above = Math.min(p.accuracy() + lift, range[1] - lift / 2), below = Math.max(p.accuracy() - 1.2 * lift, range[0] + lift / 2);
            double[] tries = {above, below, above + lift, below - lift, above + 2 * lift};
            y[i] = above;
            for (double t : tries) {
                if (free(points, y, i, p.sparsity(), t, lift)) {
                    y[i] = t;
                    break;
                }
            }
        }
        return y;
    }

    private static boolean free(List<Point> points, double[] y, int upTo, double x, double height, double lift) {
        for (int j = 0; j < upTo; j++) {
            if (Math.abs(points.get(j).sparsity() - x) < LABEL_WIDTH && Math.abs(y[j] - height) < 0.9 * lift) return false;
        }
        return true;
    }

    /** {min, max} of the accuracy axis: every point and the reference, widened to {@link #MIN_ACCURACY_SPAN}, plus a fifth, within 0..1. */
    static double[] accuracyRange(List<Point> points, Reference reference) {
        double lo = Double.POSITIVE_INFINITY, hi = Double.NEGATIVE_INFINITY;
        for (Point p : points) {
            lo = Math.min(lo, p.accuracy());
            hi = Math.max(hi, p.accuracy());
        }
        if (reference != null) {
            lo = Math.min(lo, reference.accuracy());
            hi = Math.max(hi, reference.accuracy());
        }
        double half = 1.2 * Math.max(hi - lo, MIN_ACCURACY_SPAN) / 2, mid = (lo + hi) / 2;
        return new double[]{Math.max(0, mid - half), Math.min(1, mid + half)};
    }
}
