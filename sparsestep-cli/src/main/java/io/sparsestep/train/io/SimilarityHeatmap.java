package io.sparsestep.train.io;

import java.awt.Color;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.knowm.xchart.HeatMapChart;
import org.knowm.xchart.HeatMapChartBuilder;
import org.knowm.xchart.style.Styler;

/**
 * Heat maps of values in 0..1 with the value written in each cell: rows down (first on top),
 * columns across, white 0 to blue 1, one panel below the other. {@code masks compare} draws
 * mask pairs by layers, a row per pair (the Jaccard index above, its chance level below),
 * which stays readable for many layers or pairs since the image grows with both.
 */
public final class SimilarityHeatmap {
    static final int CELL_WIDTH = 90;
    static final int ROW_HEIGHT = 36;
    static final int FRAME_WIDTH = 360;
    static final int FRAME_HEIGHT = 180;
    static final int MIN_WIDTH = 820;
    static final Color HIGH = Charts.colour(0);

    private SimilarityHeatmap() {}

    /** What the map shows: its title, the axis titles, the value's name, and the row and column labels. */
    public record Labels(String title, String rowTitle, String columnTitle, String valueName, List<String> rows, List<String> columns) {
        public Labels {
            rows = List.copyOf(rows);
            columns = List.copyOf(columns);
        }
    }

    /** One map: its labels and {@code values[row][column]}, every value in 0..1. */
    public record Panel(Labels labels, double[][] values) {}

    /** Writes {@code png} with the panels one below the other (e.g. the Jaccard index, then its chance level). */
    public static void write(Path png, List<Panel> panels) throws IOException {
        if (panels.isEmpty()) throw new IllegalArgumentException(png + ": a heat map needs at least one panel");
        Charts.write(png, Charts.stacked(panels.stream().map(p -> Charts.image(chart(p.labels(), p.values()))).toArray(java.awt.image.BufferedImage[]::new)));
    }

    static int width(int columns) { return Math.max(MIN_WIDTH, FRAME_WIDTH + CELL_WIDTH * columns); }

    static int height(int rows) { return Math.max(300, FRAME_HEIGHT + ROW_HEIGHT * rows); }

    static HeatMapChart chart(Labels labels, double[][] values) {
        String title = labels.title();
        List<String> rows = labels.rows(), columns = labels.columns();
        if (rows.isEmpty() || columns.isEmpty() || values.length != rows.size()) {
            throw new IllegalArgumentException("heat map '" + title + "' needs a value per row and column, got " + rows.size() + " rows, "
                    + columns.size() + " columns, " + values.length + " rows of values");
        }
        // the heat map draws its first row at the bottom: reversed, the first row is on top
        List<String> rowsDown = new ArrayList<>(rows.reversed());
        List<Number[]> cells = new ArrayList<>();
        for (int r = 0; r < rows.size(); r++) {
            if (values[r].length != columns.size()) {
                throw new IllegalArgumentException("heat map '" + title + "': row " + rows.get(r) + " has " + values[r].length + " values for "
                        + columns.size() + " columns");
            }
            for (int c = 0; c < columns.size(); c++) {
                double v = values[r][c];
                if (!(v >= 0 && v <= 1)) throw new IllegalArgumentException("heat map '" + title + "': " + rows.get(r) + " / " + columns.get(c) + " is " + v + ", not in 0..1");
                cells.add(new Number[]{c, rows.size() - 1 - r, v});
            }
        }
        HeatMapChart chart = new HeatMapChartBuilder().width(width(columns.size())).height(height(rows.size())).title(title)
                .xAxisTitle(labels.columnTitle()).yAxisTitle(labels.rowTitle()).build();
        chart.getStyler().setMin(0).setMax(1).setRangeColors(new Color[]{Color.WHITE, HIGH}).setShowValue(true)
                .setHeatMapValueDecimalPattern("0.000").setValueFontColor(Color.BLACK).setDrawBorder(true)
                .setLegendPosition(Styler.LegendPosition.OutsideE);
        chart.getStyler().setChartBackgroundColor(Color.WHITE);
        chart.addSeries(labels.valueName(), columns, rowsDown, cells);
        return chart;
    }
}
