package io.sparsestep.data;

import java.util.SplittableRandom;
import java.util.stream.IntStream;

/**
 * A CIFAR-10 stand-in: 32x32 colour images of one object on a cluttered background. The
 * class fixes the object's shape (disc, square, triangle, ring, cross) and its fill (solid
 * for classes 0-4, striped for 5-9); its colour is drawn around a class hue with a spread so
 * wide that colour alone is a weak cue. Random size, position, rotation, background gradient,
 * smaller distractor shapes (sometimes in front of the object), lighting and pixel noise make
 * the task learnable by a convnet but not by reading off a few pixels.
 *
 * <p>Every image is a pure function of (seed, split, index), so generation runs in parallel
 * yet gives identical bytes for any thread count.
 */
public final class SynthCifar {
    public static final int SIDE = 32;
    public static final int CLASSES = 10;
    public static final int DEFAULT_TRAIN = 50_000;
    public static final int DEFAULT_TEST = 10_000;
    static final int SHAPES = 5;
    private static final int PLANE = SIDE * SIDE;
    private static final long TRAIN_STREAM = 3;
    private static final long TEST_STREAM = 4;

    private SynthCifar() {
    }

    /** Train and test splits of the given sizes ({@code <= 0}: the defaults, 50000 and 10000). */
    public static TrainTest generate(long seed, int trainCount, int testCount) {
        return new TrainTest(
                split("synth-cifar/train", seed, TRAIN_STREAM, trainCount > 0 ? trainCount : DEFAULT_TRAIN),
                split("synth-cifar/test", seed, TEST_STREAM, testCount > 0 ? testCount : DEFAULT_TEST));
    }

    static DatasetSplit split(String name, long seed, long stream, int count) {
        byte[] labels = SynthLabels.balanced(count, CLASSES, Seeds.mix(seed, stream, -1));
        byte[] pixels = new byte[count * 3 * PLANE];
        IntStream.range(0, count).parallel().forEach(i -> {
            SplittableRandom rng = new SplittableRandom(Seeds.mix(seed, stream, i));
            float[] rgb = new float[3 * PLANE];
            render(labels[i], rng, rgb);
            finish(rgb, rng, pixels, i * 3 * PLANE);
        });
        return new DatasetSplit(name, count, 3, SIDE, SIDE, CLASSES, pixels, labels);
    }

    /** Paints one image of class {@code label} into {@code rgb} (planar, values in [0,1]). */
    static void render(int label, SplittableRandom rng, float[] rgb) {
        background(rng, rgb);
        int distractors = rng.nextInt(4);
        int inFront = rng.nextDouble() < 0.3 ? rng.nextInt(distractors + 1) : 0;
        for (int d = inFront; d < distractors; d++) {
            distractor(rng, rgb);
        }

        int shape = label % SHAPES;
        boolean striped = label >= SHAPES;
        double radius = rng.nextDouble(7, 13);
        double margin = radius * 0.6;
        double cx = rng.nextDouble(margin, SIDE - margin);
        double cy = rng.nextDouble(margin, SIDE - margin);
        double angle = rng.nextDouble(0, 2 * Math.PI);
        float[] colour = hsv(label * 36 + 50 * rng.nextGaussian(), rng.nextDouble(0.35, 1), rng.nextDouble(0.35, 1));
        float[] stripeColour = null;
        double period = 0, stripeAngle = 0, phase = 0;
        if (striped) {
            double shade = rng.nextDouble() < 0.5 ? rng.nextDouble(0.15, 0.5) : rng.nextDouble(1.6, 2.5);
            stripeColour = new float[] {clamp01(colour[0] * shade), clamp01(colour[1] * shade), clamp01(colour[2] * shade)};
            period = rng.nextDouble(3.5, 6.5);
            stripeAngle = rng.nextDouble(0, Math.PI);
            phase = rng.nextDouble();
        }
        double cos = Math.cos(angle), sin = Math.sin(angle);
        double scos = Math.cos(stripeAngle), ssin = Math.sin(stripeAngle);
        for (int y = 0; y < SIDE; y++) {
            for (int x = 0; x < SIDE; x++) {
                double dx = x + 0.5 - cx, dy = y + 0.5 - cy;
                double lx = cos * dx + sin * dy, ly = -sin * dx + cos * dy;
                double cover = coverage(shapeDistance(shape, lx, ly, radius));
                if (cover <= 0) {
                    continue;
                }
                int k = y * SIDE + x;
                if (striped) {
                    double t = (scos * dx + ssin * dy) / period + phase;
                    double f = t - Math.floor(t);
                    // signed distance to the nearest stripe edge (negative inside a stripe), for anti-aliasing
                    double edge = (f < 0.5 ? -Math.min(f, 0.5 - f) : Math.min(f - 0.5, 1 - f)) * period;
                    double mix = coverage(edge);
                    blend(rgb, k, colour[0] + (stripeColour[0] - colour[0]) * mix,
                            colour[1] + (stripeColour[1] - colour[1]) * mix,
                            colour[2] + (stripeColour[2] - colour[2]) * mix, cover);
                } else {
                    blend(rgb, k, colour[0], colour[1], colour[2], cover);
                }
            }
        }
        for (int d = 0; d < inFront; d++) {
            distractor(rng, rgb);
        }
    }

    /** A two-colour gradient in a random direction: no flat backdrop to subtract. */
    private static void background(SplittableRandom rng, float[] rgb) {
        float[] a = hsv(rng.nextDouble(0, 360), rng.nextDouble(0, 0.6), rng.nextDouble(0.15, 0.9));
        float[] b = hsv(rng.nextDouble(0, 360), rng.nextDouble(0, 0.6), rng.nextDouble(0.15, 0.9));
        double dir = rng.nextDouble(0, 2 * Math.PI);
        double ux = Math.cos(dir) / SIDE, uy = Math.sin(dir) / SIDE;
        for (int y = 0; y < SIDE; y++) {
            for (int x = 0; x < SIDE; x++) {
                double t = Math.clamp(0.5 + (x + 0.5 - SIDE / 2.0) * ux + (y + 0.5 - SIDE / 2.0) * uy, 0.0, 1.0);
                int k = y * SIDE + x;
                for (int ch = 0; ch < 3; ch++) {
                    rgb[ch * PLANE + k] = (float) (a[ch] + (b[ch] - a[ch]) * t);
                }
            }
        }
    }

    /** A small solid shape of any type and colour, partly transparent. */
    private static void distractor(SplittableRandom rng, float[] rgb) {
        int shape = rng.nextInt(SHAPES);
        double radius = rng.nextDouble(2, 5);
        double cx = rng.nextDouble(0, SIDE), cy = rng.nextDouble(0, SIDE);
        double angle = rng.nextDouble(0, 2 * Math.PI);
        float[] colour = hsv(rng.nextDouble(0, 360), rng.nextDouble(0, 1), rng.nextDouble(0.1, 1));
        double alpha = rng.nextDouble(0.4, 1);
        double cos = Math.cos(angle), sin = Math.sin(angle);
        int x0 = Math.max(0, (int) (cx - radius - 2)), x1 = Math.min(SIDE - 1, (int) (cx + radius + 2));
        int y0 = Math.max(0, (int) (cy - radius - 2)), y1 = Math.min(SIDE - 1, (int) (cy + radius + 2));
        for (int y = y0; y <= y1; y++) {
            for (int x = x0; x <= x1; x++) {
                double dx = x + 0.5 - cx, dy = y + 0.5 - cy;
                double cover = coverage(shapeDistance(shape, cos * dx + sin * dy, -sin * dx + cos * dy, radius));
                if (cover > 0) {
                    blend(rgb, y * SIDE + x, colour[0], colour[1], colour[2], cover * alpha);
                }
            }
        }
    }

    /**
     * Signed distance (pixels, negative inside) from (x,y) in the shape's own frame to the
     * outline of shape {@code type} of size {@code r}; exact near edges, which is all that
     * anti-aliasing needs.
     */
    static double shapeDistance(int type, double x, double y, double r) {
        return switch (type) {
            case 0 -> Math.hypot(x, y) - r; // disc
            case 1 -> Math.max(Math.abs(x), Math.abs(y)) - 0.8 * r; // square
            case 2 -> { // equilateral triangle with circumradius r
                double d = -Double.MAX_VALUE;
                for (int k = 0; k < 3; k++) {
                    double a = Math.PI / 2 + k * 2 * Math.PI / 3;
                    d = Math.max(d, x * Math.cos(a) + y * Math.sin(a));
                }
                yield d - 0.5 * r;
            }
            case 3 -> Math.abs(Math.hypot(x, y) - 0.7 * r) - 0.3 * r; // ring
            case 4 -> Math.min(Math.max(Math.abs(x) - r, Math.abs(y) - 0.3 * r),
                    Math.max(Math.abs(x) - 0.3 * r, Math.abs(y) - r)); // plus sign
            default -> throw new IllegalArgumentException("shape must be 0.." + (SHAPES - 1) + ", got " + type);
        };
    }

    /** Fraction of a pixel covered, from the signed distance at its centre. */
    private static double coverage(double signedDistance) {
        return Math.clamp(0.5 - signedDistance, 0.0, 1.0);
    }

    /** Paints colour (r,g,b) over pixel {@code k} with opacity {@code alpha}. */
    private static void blend(float[] rgb, int k, double r, double g, double b, double alpha) {
        rgb[k] += (float) ((r - rgb[k]) * alpha);
        rgb[PLANE + k] += (float) ((g - rgb[PLANE + k]) * alpha);
        rgb[2 * PLANE + k] += (float) ((b - rgb[2 * PLANE + k]) * alpha);
    }

    /** Lighting (gain and colour cast) and sensor noise, quantised to bytes at {@code out[at..]}. */
    private static void finish(float[] rgb, SplittableRandom rng, byte[] out, int at) {
        double gain = rng.nextDouble(0.75, 1.2);
        double noise = rng.nextDouble(0.02, 0.08);
        for (int ch = 0; ch < 3; ch++) {
            double cast = gain * rng.nextDouble(0.9, 1.1);
            for (int k = 0; k < PLANE; k++) {
                double v = rgb[ch * PLANE + k] * cast + noise * rng.nextGaussian();
                out[at + ch * PLANE + k] = (byte) Math.round(Math.clamp(v, 0.0, 1.0) * 255);
            }
        }
    }

    /** RGB in [0,1] from hue (degrees, any value), saturation and value in [0,1]. */
    static float[] hsv(double hueDeg, double s, double v) {
        double h = ((hueDeg % 360) + 360) % 360 / 60;
        int sector = (int) h % 6;
        double f = h - Math.floor(h);
        double p = v * (1 - s), q = v * (1 - s * f), t = v * (1 - s * (1 - f));
        double[] c = switch (sector) {
            case 0 -> new double[] {v, t, p};
            case 1 -> new double[] {q, v, p};
            case 2 -> new double[] {p, v, t};
            case 3 -> new double[] {p, q, v};
            case 4 -> new double[] {t, p, v};
            default -> new double[] {v, p, q};
        };
        return new float[] {(float) c[0], (float) c[1], (float) c[2]};
    }

    private static float clamp01(double v) {
        return (float) Math.clamp(v, 0.0, 1.0);
    }
}
