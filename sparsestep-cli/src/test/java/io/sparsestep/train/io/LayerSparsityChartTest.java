package io.sparsestep.train.io;

import io.sparsestep.store.EpochRow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LayerSparsityChartTest {
    @TempDir
    Path dir;

    private static List<EpochRow> run(int epochs, List<String> layers, double sparsity) {
        List<EpochRow> rows = new ArrayList<>();
        for (int e = 1; e <= epochs; e++) {
            LinkedHashMap<String, Double> perLayer = new LinkedHashMap<>();
            for (String layer : layers) perLayer.put(layer, sparsity);
            rows.add(new EpochRow(e, 0.1, 1, 0.5, 1, 0.5, sparsity, 1, perLayer));
        }
        return rows;
    }

    private static List<String> layers(int n) {
        List<String> names = new ArrayList<>();
        for (int i = 0; i < n; i++) names.add("layer" + i / 9 + "." + i % 9 + ".branch.conv1");
        return names;
    }

    private static long pixels(BufferedImage image, int rgb) {
        long n = 0;
        for (int y = 0; y < image.getHeight(); y++) {
            for (int x = 0; x < image.getWidth(); x++) {
                if ((image.getRGB(x, y) & 0xFFFFFF) == rgb) n++;
            }
        }
        return n;
    }

    @Test
    void everyLayerGetsARowAndTheImageGrowsWithThem() throws IOException {
        Path png = dir.resolve(LayerSparsityChart.FILE_NAME);
        LayerSparsityChart.write(png, "resnet56", run(160, layers(57), 0.5));
        BufferedImage image = ImageIO.read(png.toFile());
        assertEquals(LayerSparsityChart.WIDTH, image.getWidth());
        assertEquals(LayerSparsityChart.FRAME_HEIGHT + 57 * LayerSparsityChart.ROW_HEIGHT, image.getHeight());
        assertEquals(LayerSparsityChart.MIN_HEIGHT, LayerSparsityChart.height(3), "a small network keeps a readable size");
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(List.of(png), files.toList(), "written atomically: no temporary file left");
        }
    }

    @Test
    void theNetworkReadsTopDown() {
        List<String> names = List.of("conv1", "conv2", "fc1");
        // the heat map draws its first category at the bottom
        assertEquals(List.of("fc1", "conv2", "conv1"), LayerSparsityChart.chart("t", run(2, names, 0.5)).getHeatMapSeries().getYData());
    }

    @Test
    void prunedLayersAreTheRunsColourEmptyOnesWhite() throws IOException {
        BufferedImage pruned = ImageIO.read(new java.io.ByteArrayInputStream(
                Charts.png(Charts.image(LayerSparsityChart.chart("t", run(5, layers(4), 1.0))))));
        BufferedImage dense = ImageIO.read(new java.io.ByteArrayInputStream(
                Charts.png(Charts.image(LayerSparsityChart.chart("t", run(5, layers(4), 0.0))))));
        int blue = LayerSparsityChart.PRUNED.getRGB() & 0xFFFFFF;
        assertTrue(pixels(pruned, blue) > 50 * pixels(dense, blue) + 10_000,
                pixels(pruned, blue) + " pruned-colour pixels at sparsity 1 against " + pixels(dense, blue) + " at 0");
    }

    @Test
    void rowsWithoutLayersOrWithChangingLayersAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> LayerSparsityChart.chart("t", List.of()));
        assertThrows(IllegalArgumentException.class, () -> LayerSparsityChart.chart("t", run(2, List.of(), 0)));
        List<EpochRow> changing = new ArrayList<>(run(1, List.of("a", "b"), 0.5));
        changing.addAll(run(1, List.of("a"), 0.5));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> LayerSparsityChart.chart("t", changing));
        assertTrue(e.getMessage().contains("same layers"), e.getMessage());
    }
}
