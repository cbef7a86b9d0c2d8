package io.sparsestep.train.io;

import io.sparsestep.store.AtomicFiles;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.internal.chartpart.Chart;

/**
 * What the run's charts share: off-screen rendering, the palette, and the write. Charts are
 * rendered to PNG bytes first and then written atomically, so a viewer refreshing the file
 * never sees half an image.
 */
final class Charts {
    /** Colour-blind-safe (Okabe-Ito) so runs stay distinguishable on any screen or print. */
    static final List<Color> PALETTE = List.of(
            new Color(0x0072B2), new Color(0xD55E00), new Color(0x009E73), new Color(0xCC79A7),
            new Color(0xE69F00), new Color(0x56B4E9), new Color(0x000000), new Color(0xF0E442));

    static {
        // A training run never has a display; without this, AWT may try to reach one.
        if (System.getProperty("java.awt.headless") == null) {
            System.setProperty("java.awt.headless", "true");
        }
    }

    private Charts() {}

    static Color colour(int index) {
        return PALETTE.get(index % PALETTE.size());
    }

    static BufferedImage image(Chart<?, ?> chart) {
        return BitmapEncoder.getBufferedImage(chart);
    }

    /** The panels one below the other, as one image as wide as the widest. */
    static BufferedImage stacked(BufferedImage... panels) {
        int width = 0, height = 0;
        for (BufferedImage p : panels) {
            width = Math.max(width, p.getWidth());
            height += p.getHeight();
        }
        BufferedImage all = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = all.createGraphics();
        try {
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, width, height);
            int y = 0;
            for (BufferedImage p : panels) {
                g.drawImage(p, 0, y, null);
                y += p.getHeight();
            }
        } finally {
            g.dispose();
        }
        return all;
    }

    static byte[] png(BufferedImage image) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        if (!ImageIO.write(image, "png", bytes)) {
            throw new IOException("this JDK has no PNG writer (javax.imageio); the charts need one");
        }
        return bytes.toByteArray();
    }

    static void write(Path file, BufferedImage image) throws IOException {
        byte[] bytes = png(image);
        AtomicFiles.write(file, out -> out.write(bytes));
    }
}
