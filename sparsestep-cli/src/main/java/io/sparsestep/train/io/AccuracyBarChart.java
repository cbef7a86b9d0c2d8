package io.sparsestep.train.io;

import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.CategorySeries;
import org.knowm.xchart.style.CategoryStyler;

import java.awt.Color;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * The test accuracy of a few runs as bars, one per run in the given order (a pruned run, its
 * fine-tuning, Scratch-E and Scratch-B), each labelled with its value; the axis spans 0..1,
 * since these runs differ by points, not fractions of one.
 */
public final class AccuracyBarChart {
    static final int WIDTH = 960;
    static final int HEIGHT = 560;

    /** One run's bar. */
    public record Bar(String label, double accuracy) {}

    private AccuracyBarChart() {}

    public static void write(Path png, String title, List<Bar> bars) throws IOException {
        if (bars.isEmpty()) throw new IllegalArgumentException("bar chart '" + title + "' has no bars; it needs a finished run");
        CategoryChart chart = new CategoryChartBuilder().width(WIDTH).height(HEIGHT).title(title).xAxisTitle("run")
                .yAxisTitle("test accuracy").build();
        CategoryStyler style = chart.getStyler();
        style.setYAxisMin(0.0);
        style.setYAxisMax(1.0);
        style.setYAxisDecimalPattern("0.0#");
        style.setLegendVisible(false);
        style.setLabelsVisible(true);
        style.setLabelsFontColor(Color.BLACK);
        style.setDecimalPattern("0.0000");
        style.setChartBackgroundColor(Color.WHITE);
        CategorySeries s = chart.addSeries("test accuracy", bars.stream().map(Bar::label).toList(), bars.stream().map(Bar::accuracy).toList());
        s.setFillColor(Charts.colour(0));
        Charts.write(png, Charts.image(chart));
    }
}
