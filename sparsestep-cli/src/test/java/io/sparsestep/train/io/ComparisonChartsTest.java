package io.sparsestep.train.io;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import javax.imageio.ImageIO;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The comparison's charts as images: the Pareto chart's one point per method in its colour and
 * the reference line across the plot; the layer bars' heights; the similarity heat map's
 * panels; each written file equal to the bytes returned for embedding.
 */
class ComparisonChartsTest {
    @TempDir
    Path dir;

    private static final List<ParetoChart.Point> POINTS = List.of(new ParetoChart.Point("gRDA", 0.96, 0.9967),
            new ParetoChart.Point("SGD", 0.0, 0.9972), new ParetoChart.Point("GSM", 0.95, 0.9900));

    @Test
    void paretoChartHasAColouredPointPerMethodAndTheReferenceLine() throws IOException {
        Path png = dir.resolve(ParetoChart.FILE_NAME);
        byte[] bytes = ParetoChart.write(png, "lenet300 on synth-digits", "sparsity", POINTS, new ParetoChart.Reference("SGD", 0.9972));
        assertArrayEquals(Files.readAllBytes(png), bytes, "the embedded bytes are the file's");
        BufferedImage image = ImageIO.read(new ByteArrayInputStream(bytes));
        assertEquals(ParetoChart.WIDTH, image.getWidth());
        assertEquals(ParetoChart.HEIGHT, image.getHeight());
        for (int i = 0; i < POINTS.size(); i++) {
            assertTrue(pixels(image, Charts.colour(i).getRGB()) > 40, POINTS.get(i).label() + "'s point is missing");
        }
        assertEquals(0, pixels(image, Charts.colour(3).getRGB()), "a fourth colour for three methods");

        // the reference line: a pixel row that differs across most of the plot from the same chart without it
        BufferedImage without = Charts.image(ParetoChart.chart("lenet300 on synth-digits", "sparsity", POINTS, null));
        int widest = 0;
        for (int y = 0; y < image.getHeight(); y++) {
            int differing = 0;
            for (int x = 0; x < image.getWidth(); x++) if (image.getRGB(x, y) != without.getRGB(x, y)) differing++;
            widest = Math.max(widest, differing);
        }
        assertTrue(widest > ParetoChart.WIDTH / 2, "no horizontal reference line: the widest differing row has " + widest + " pixels");
    }

    @Test
    void theAccuracyAxisSpansWhatItShows() {
        double[] range = ParetoChart.accuracyRange(POINTS, new ParetoChart.Reference("SGD", 0.5));
        assertTrue(range[0] < 0.5 && range[1] > 0.9972 && range[1] <= 1, range[0] + ".." + range[1]);
        double[] close = ParetoChart.accuracyRange(List.of(new ParetoChart.Point("a", 0, 0.99), new ParetoChart.Point("b", 1, 0.9901)), null);
        assertTrue(close[1] - close[0] >= ParetoChart.MIN_ACCURACY_SPAN && close[0] < 0.99 && close[1] > 0.9901, close[0] + ".." + close[1]);
        assertThrows(IllegalArgumentException.class, () -> ParetoChart.chart("t", "s", List.of(), null));
    }

    @Test
    void layerBarsAreAsTallAsTheSparsity() throws IOException {
        LinkedHashMap<String, LinkedHashMap<String, Double>> byMethod = new LinkedHashMap<>();
        byMethod.put("GSM", layers(1.0, 1.0, 1.0));
        byMethod.put("gRDA", layers(0.1, 0.1, 0.1));
        Path png = dir.resolve(LayerBarChart.FILE_NAME);
        byte[] bytes = LayerBarChart.write(png, "per layer", byMethod);
        assertArrayEquals(Files.readAllBytes(png), bytes);
        BufferedImage image = ImageIO.read(new ByteArrayInputStream(bytes));
        assertEquals(LayerBarChart.MIN_WIDTH, image.getWidth());
        long tall = pixels(image, Charts.colour(0).getRGB()), short_ = pixels(image, Charts.colour(1).getRGB());
        // legend swatches aside, the bars' areas go as their heights: 1.0 against 0.1
        assertTrue(tall > 6 * short_ && short_ > 200, "bars of 1.0: " + tall + " pixels, of 0.1: " + short_);
        assertTrue(LayerBarChart.width(57, 6) > LayerBarChart.MIN_WIDTH, "a ResNet-56 of six methods gets a wider image");

        byMethod.put("SGD", new LinkedHashMap<>(java.util.Map.of("fc1", 0.0)));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> LayerBarChart.chart("per layer", byMethod));
        assertTrue(e.getMessage().contains("SGD reports other layers than GSM"), e.getMessage());
    }

    @Test
    void heatMapPanelsStackAndColourTheirCells() throws IOException {
        SimilarityHeatmap.Labels labels = new SimilarityHeatmap.Labels("Jaccard", "pair", "layer", "Jaccard", List.of("a vs b", "a vs c"),
                List.of("fc1", "fc2", "overall"));
        double[][] ones = {{1, 1, 1}, {1, 1, 1}}, zeros = {{0, 0, 0}, {0, 0, 0}};
        Path png = dir.resolve("jaccard.png");
        SimilarityHeatmap.write(png, List.of(new SimilarityHeatmap.Panel(labels, ones), new SimilarityHeatmap.Panel(labels, zeros)));
        BufferedImage image = ImageIO.read(png.toFile());
        assertEquals(2 * SimilarityHeatmap.height(2), image.getHeight(), "two panels one below the other");
        assertEquals(SimilarityHeatmap.width(3), image.getWidth());
        long top = 0, bottom = 0;
        for (int y = 0; y < image.getHeight(); y++) {
            for (int x = 0; x < image.getWidth(); x++) {
                if ((image.getRGB(x, y) & 0xFFFFFF) != (SimilarityHeatmap.HIGH.getRGB() & 0xFFFFFF)) continue;
                if (y < image.getHeight() / 2) top++;
                else bottom++;
            }
        }
        // the upper panel's six cells of 1 are filled with the colour of 1; the lower one has it in its legend only
        assertTrue(top > 20_000 && top > 5 * bottom, "cells of 1: " + top + " pixels of the high colour above, " + bottom + " below");
        assertThrows(IllegalArgumentException.class, () -> SimilarityHeatmap.chart(labels, new double[][]{{0, 1.5, 0}, {0, 0, 0}}));
        assertThrows(IllegalArgumentException.class, () -> SimilarityHeatmap.chart(labels, new double[][]{{0, 1}, {0, 0}}));
    }

    private static LinkedHashMap<String, Double> layers(double fc1, double fc2, double fc3) {
        LinkedHashMap<String, Double> out = new LinkedHashMap<>();
        out.put("fc1", fc1);
        out.put("fc2", fc2);
        out.put("fc3", fc3);
        return out;
    }

    private static long pixels(BufferedImage image, int argb) {
        long n = 0;
        for (int y = 0; y < image.getHeight(); y++) {
            for (int x = 0; x < image.getWidth(); x++) if ((image.getRGB(x, y) & 0xFFFFFF) == (argb & 0xFFFFFF)) n++;
        }
        return n;
    }

    @Test
    void labelsOfPointsThatEndAlikeDoNotCoverEachOther() {
        // the demo comparison's gRDA and GSM (0.9615 / 0.9967, 0.95 / 0.9966), sDprun and magnitude, SGD far away
        List<ParetoChart.Point> pts = List.of(new ParetoChart.Point("gRDA", 0.9615, 0.9967), new ParetoChart.Point("SGD", 0, 0.9972),
                new ParetoChart.Point("GSM", 0.95, 0.9966), new ParetoChart.Point("one-shot magnitude", 0.90, 0.9938),
                new ParetoChart.Point("sDprun", 0.8711, 0.9938));
        double[] range = ParetoChart.accuracyRange(pts, null);
        double lift = (range[1] - range[0]) * 0.035;
        double[] y = ParetoChart.labelHeights(pts, range, lift);
        for (int i = 0; i < pts.size(); i++) {
            for (int j = 0; j < i; j++) {
                boolean near = Math.abs(pts.get(i).sparsity() - pts.get(j).sparsity()) < ParetoChart.LABEL_WIDTH;
                assertTrue(!near || Math.abs(y[i] - y[j]) >= 0.9 * lift, pts.get(i).label() + " covers " + pts.get(j).label());
            }
            assertTrue(Math.abs(y[i] - pts.get(i).accuracy()) <= 3.1 * lift, pts.get(i).label() + "'s label stays by its point");
        }
        assertEquals(pts.get(1).accuracy() + lift, y[1], 1e-12, "a lone point's label sits just above it");
    }
}
