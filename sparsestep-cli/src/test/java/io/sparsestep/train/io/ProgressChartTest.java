package io.sparsestep.train.io;

import io.sparsestep.store.EpochRow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.style.Styler;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ProgressChartTest {
    @TempDir
    Path dir;

    private static List<EpochRow> run(double accuracyStep, double sparsityStep, int epochs) {
        List<EpochRow> rows = new ArrayList<>();
        for (int e = 1; e <= epochs; e++) {
            rows.add(new EpochRow(e, 0.1, 1.0 / e, 0.5, 1.0 / e, Math.min(1, accuracyStep * e),
                    Math.min(1, sparsityStep * e), e, new LinkedHashMap<>()));
        }
        return rows;
    }

    private static int countPixels(BufferedImage image, int rgb) {
        int count = 0;
        for (int y = 0; y < image.getHeight(); y++) {
            for (int x = 0; x < image.getWidth(); x++) {
                if ((image.getRGB(x, y) & 0xFFFFFF) == rgb) {
                    count++;
                }
            }
        }
        return count;
    }

    @Test
    void writesAReadablePngWithOneColourPerRun() throws IOException {
        Path png = dir.resolve("progress.png");
        Map<String, List<EpochRow>> runs = new LinkedHashMap<>();
        runs.put("gRDA", run(0.09, 0.08, 10));
        runs.put("SGD", run(0.095, 0.0, 10));
        ProgressChart.write(png, "lenet5 on mnist", runs);

        assertTrue(Files.size(png) > 0);
        BufferedImage image = ImageIO.read(png.toFile());
        assertNotNull(image, "ImageIO could not decode the file as an image");
        assertEquals(ProgressChart.WIDTH, image.getWidth());
        assertEquals(ProgressChart.HEIGHT, image.getHeight());
        // Each run is drawn in its own palette colour (first blue 0x0072B2, then 0xD55E00).
        assertTrue(countPixels(image, 0x0072B2) > 50, "first run's curves are missing");
        assertTrue(countPixels(image, 0xD55E00) > 50, "second run's curves are missing");
        assertEquals(0, countPixels(image, 0x009E73), "a third colour appeared for only two runs");
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(List.of(png), files.toList());
        }
    }

    private static List<EpochRow> flatAccuracy(double accuracy, double finalSparsity, int epochs) {
        List<EpochRow> rows = new ArrayList<>();
        for (int e = 1; e <= epochs; e++) {
            rows.add(new EpochRow(e, 0.1, 1.0 / e, 0.99, 0.05, accuracy, finalSparsity * e / epochs, 1, new LinkedHashMap<>()));
        }
        return rows;
    }

    /** The demo's result: gRDA 0.9967 and SGD 0.9972, sparsity 0.96 and 0. */
    private static Map<String, List<EpochRow>> demoLike() {
        Map<String, List<EpochRow>> runs = new LinkedHashMap<>();
        runs.put("gRDA", flatAccuracy(0.9967, 0.9615, 10));
        runs.put("SGD", flatAccuracy(0.9972, 0.0, 10));
        return runs;
    }

    @Test
    void accuracyAndSparsityHaveAxesOfTheirOwn() {
        XYChart chart = ProgressChart.accuracyAndSparsity("demo", demoLike());
        for (String run : List.of("gRDA", "SGD")) {
            assertEquals(ProgressChart.ACCURACY_AXIS, chart.getSeries(run + " accuracy").getYAxisGroup());
            assertEquals(ProgressChart.SPARSITY_AXIS, chart.getSeries(run + " sparsity").getYAxisGroup());
        }
        assertNotEquals(ProgressChart.ACCURACY_AXIS, ProgressChart.SPARSITY_AXIS);
        assertEquals(Styler.YAxisPosition.Right, chart.getStyler().getYAxisGroupPosistion(ProgressChart.SPARSITY_AXIS));
        assertEquals(0.0, chart.getStyler().getYAxisMin(ProgressChart.SPARSITY_AXIS));
        assertEquals(1.0, chart.getStyler().getYAxisMax(ProgressChart.SPARSITY_AXIS));
        double lo = chart.getStyler().getYAxisMin(ProgressChart.ACCURACY_AXIS);
        double hi = chart.getStyler().getYAxisMax(ProgressChart.ACCURACY_AXIS);
        assertTrue(lo < 0.9967 && 0.9972 < hi && hi <= 1, lo + ".." + hi);
        assertTrue((0.9972 - 0.9967) / (hi - lo) > 0.2, "the runs' difference is a fifth of the axis or more: " + lo + ".." + hi);
    }

    /** Rows of the upper panel in which one colour draws a long horizontal line: a flat accuracy curve. */
    private static List<Integer> longLineRows(BufferedImage image, int rgb) {
        List<Integer> rows = new ArrayList<>();
        for (int y = 0; y < ProgressChart.TOP_HEIGHT; y++) {
            int n = 0;
            for (int x = 0; x < image.getWidth(); x++) {
                if ((image.getRGB(x, y) & 0xFFFFFF) == rgb) n++;
            }
            if (n > image.getWidth() / 3) rows.add(y);
        }
        return rows;
    }

    /** In the picture itself, 0.9967 and 0.9972 are lines far apart (on a 0..1 axis: the same row). */
    @Test
    void closeAccuraciesAreApartInThePicture() throws IOException {
        Path png = dir.resolve("chart.png");
        ProgressChart.write(png, "demo", demoLike());
        BufferedImage image = ImageIO.read(png.toFile());
        List<Integer> grda = longLineRows(image, 0x0072B2), sgd = longLineRows(image, 0xD55E00);
        assertFalse(grda.isEmpty() || sgd.isEmpty(), "flat accuracy lines not found: " + grda + " " + sgd);
        assertTrue(grda.getFirst() - sgd.getLast() > 60, "gRDA's line (rows " + grda + ") is not well below SGD's (" + sgd + ")");
    }

    @Test
    void theLowerPanelShowsEachRunsTrainingLoss() {
        XYChart loss = ProgressChart.trainLoss(demoLike());
        assertEquals(List.of("gRDA train loss", "SGD train loss"), loss.getSeriesCollection().stream().map(s -> s.getName()).toList());
        assertEquals(1.0 / 3, loss.getSeries("gRDA train loss").getYData()[2], 1e-15);
    }

    @Test
    void singleEpochRunStillRenders() throws IOException {
        Path png = dir.resolve("one.png");
        ProgressChart.write(png, "first epoch", Map.of("gRDA", run(0.5, 0.5, 1)));
        assertNotNull(ImageIO.read(png.toFile()));
    }

    @Test
    void emptyInputIsRejectedWithAClearMessage() {
        assertThrows(IllegalArgumentException.class, () -> ProgressChart.write(dir.resolve("a.png"), "t", Map.of()));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ProgressChart.write(dir.resolve("a.png"), "t", Map.of("gRDA", List.of())));
        assertTrue(e.getMessage().contains("gRDA"), e.getMessage());
    }
}
