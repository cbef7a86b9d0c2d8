package io.sparsestep.data;

/**
 * Anti-aliased drawing of thick line segments into a grey float canvas, the way a pen
 * stroke covers pixels: a pixel's coverage falls off linearly over one pixel at the stroke's
 * edge, and overlapping strokes take the maximum rather than adding up (ink does not get
 * darker where strokes cross).
 */
final class Strokes {
    private Strokes() {
    }

    /**
     * Draws a segment from (x0,y0) to (x1,y1) (pixel units; pixel (i,j) has its centre at
     * (i+0.5, j+0.5)) with half-width {@code radius} into {@code canvas} of size w x h.
     */
    static void segment(float[] canvas, int w, int h, double x0, double y0, double x1, double y1, double radius) {
        double reach = radius + 1;
        int xmin = Math.max(0, (int) Math.floor(Math.min(x0, x1) - reach));
        int xmax = Math.min(w - 1, (int) Math.ceil(Math.max(x0, x1) + reach));
        int ymin = Math.max(0, (int) Math.floor(Math.min(y0, y1) - reach));
        int ymax = Math.min(h - 1, (int) Math.ceil(Math.max(y0, y1) + reach));
        double dx = x1 - x0, dy = y1 - y0;
        double len2 = dx * dx + dy * dy;
        for (int y = ymin; y <= ymax; y++) {
            double py = y + 0.5 - y0;
            for (int x = xmin; x <= xmax; x++) {
                double px = x + 0.5 - x0;
                double t = len2 == 0 ? 0 : Math.clamp((px * dx + py * dy) / len2, 0.0, 1.0);
                double ex = px - t * dx, ey = py - t * dy;
                double coverage = radius + 0.5 - Math.sqrt(ex * ex + ey * ey);
                if (coverage > 0) {
                    float c = (float) Math.min(1.0, coverage);
                    int k = y * w + x;
                    if (c > canvas[k]) {
                        canvas[k] = c;
                    }
                }
            }
        }
    }

    /** Consecutive segments through the points {x0,y0,x1,y1,...}. */
    static void polyline(float[] canvas, int w, int h, double[] xy, double radius) {
        for (int i = 0; i + 3 < xy.length; i += 2) {
            segment(canvas, w, h, xy[i], xy[i + 1], xy[i + 2], xy[i + 3], radius);
        }
    }
}
