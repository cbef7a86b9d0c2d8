package io.sparsestep.train.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
