package io.sparsestep.data;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.IntStream;

/**
 * An MNIST stand-in: 28x28 grey images of the ten digits, each drawn as pen strokes (lines
 * and elliptic arcs, with per-digit style variants such as a 7 with a crossbar or an open 4)
 * whose control points wobble, then slanted, rotated (up to 15 degrees), scaled, shifted,
 * drawn anti-aliased with a random pen width and covered in pixel noise. The variation is
 * there so that, as on MNIST, a linear classifier plateaus well below a small convnet.
 *
 * <p>Every image is a pure function of (seed, split, index), so generation runs in parallel
 * yet gives identical bytes for any thread count.
 */
public final class SynthDigits {
    public static final int SIDE = 28;
    public static final int CLASSES = 10;
    public static final int DEFAULT_TRAIN = 60_000;
    public static final int DEFAULT_TEST = 10_000;
    /** Glyphs are designed in a unit box that maps to this many pixels, as MNIST's 20x20 box. */
    private static final double GLYPH_PIXELS = 20;
    private static final long TRAIN_STREAM = 1;
    private static final long TEST_STREAM = 2;

    private SynthDigits() {
    }

    /** Train and test splits of the given sizes ({@code <= 0}: the defaults, 60000 and 10000). */
    public static TrainTest generate(long seed, int trainCount, int testCount) {
        return new TrainTest(
                split("synth-digits/train", seed, TRAIN_STREAM, trainCount > 0 ? trainCount : DEFAULT_TRAIN),
                split("synth-digits/test", seed, TEST_STREAM, testCount > 0 ? testCount : DEFAULT_TEST));
    }

    static DatasetSplit split(String name, long seed, long stream, int count) {
        byte[] labels = SynthLabels.balanced(count, CLASSES, Seeds.mix(seed, stream, -1));
        byte[] pixels = new byte[count * SIDE * SIDE];
        IntStream.range(0, count).parallel().forEach(i -> {
            SplittableRandom rng = new SplittableRandom(Seeds.mix(seed, stream, i));
            float[] canvas = new float[SIDE * SIDE];
            render(labels[i], rng, canvas);
            finish(canvas, rng, pixels, i * SIDE * SIDE);
        });
        return new DatasetSplit(name, count, 1, SIDE, SIDE, CLASSES, pixels, labels);
    }

    /** Draws one {@code digit} as ink coverage in [0,1] into the empty {@code canvas}. */
    static void render(int digit, SplittableRandom rng, float[] canvas) {
        Pen pen = new Pen(rng);
        glyph(digit, pen, rng);

        double rot = Math.toRadians(rng.nextDouble(-15, 15));
        double slant = rng.nextDouble(-0.3, 0.3);
        double scale = rng.nextDouble(0.8, 1.1);
        double sx = scale * rng.nextDouble(0.8, 1.15);
        double sy = scale * rng.nextDouble(0.9, 1.1);
        double cx = SIDE / 2.0 + rng.nextDouble(-2.5, 2.5);
        double cy = SIDE / 2.0 + rng.nextDouble(-2.5, 2.5);
        double radius = rng.nextDouble(0.7, 1.7);
        // a smooth random warp: handwriting bends strokes coherently, not point by point
        double wa = rng.nextDouble(0, 0.06), wf = rng.nextDouble(2, 5), wp = rng.nextDouble(0, 2 * Math.PI);
        double wb = rng.nextDouble(0, 0.06), wg = rng.nextDouble(2, 5), wq = rng.nextDouble(0, 2 * Math.PI);
        double cos = Math.cos(rot), sin = Math.sin(rot);

        for (double[] unit : pen.strokes) {
            double[] xy = new double[unit.length];
            for (int k = 0; k < unit.length; k += 2) {
                double u = unit[k] - 0.5, v = unit[k + 1] - 0.5;
                double wu = u + wa * Math.sin(wf * v + wp);
                double wv = v + wb * Math.sin(wg * u + wq);
                double x = (wu + slant * wv) * sx * GLYPH_PIXELS;
                double y = wv * sy * GLYPH_PIXELS;
                xy[k] = cx + cos * x - sin * y;
                xy[k + 1] = cy + sin * x + cos * y;
            }
            Strokes.polyline(canvas, SIDE, SIDE, xy, radius);
        }
    }

    /** Ink of random strength plus sensor-like noise, quantised to bytes at {@code out[at..]}. */
    private static void finish(float[] canvas, SplittableRandom rng, byte[] out, int at) {
        double ink = rng.nextDouble(0.7, 1.0);
        double noise = rng.nextDouble(0.02, 0.15);
        for (int k = 0; k < canvas.length; k++) {
            double v = canvas[k] * ink + noise * rng.nextGaussian();
            out[at + k] = (byte) Math.round(Math.clamp(v, 0.0, 1.0) * 255);
        }
    }

    /**
     * The strokes of each digit in a unit box (x right, y down, glyph within about
     * 0.15..0.85 x 0.05..0.95). {@code pen.j()} adds a small random wobble to a coordinate.
     */
    private static void glyph(int digit, Pen p, SplittableRandom rng) {
        switch (digit) {
            case 0 -> p.arc(0.5, 0.5, 0.27, 0.42, 0, 360 + p.j() * 300);
            case 1 -> {
                double top = 0.5 + p.j(), bottom = 0.5 + p.j();
                p.move(top, 0.05 + p.j()).line(bottom, 0.95 + p.j());
                if (rng.nextDouble() < 0.5) {
                    p.move(top - 0.17 + p.j(), 0.22 + p.j()).line(top, 0.05);
                }
                if (rng.nextDouble() < 0.25) {
                    p.move(bottom - 0.15, 0.95).line(bottom + 0.15, 0.95 + p.j());
                }
            }
            case 2 -> {
                p.arc(0.5, 0.3, 0.26, 0.23, 200 + p.j() * 200, 395 + p.j() * 200);
                p.line(0.18 + p.j(), 0.95 + p.j()).line(0.82 + p.j(), 0.93 + p.j());
            }
            case 3 -> {
                p.arc(0.48, 0.28, 0.24, 0.22, 205 + p.j() * 200, 450);
                p.arc(0.48 + p.j(), 0.71, 0.28, 0.24, 270, 515 + p.j() * 200);
                if (rng.nextDouble() < 0.3) {
                    p.move(0.35 + p.j(), 0.49).line(0.5, 0.49);
                }
            }
            case 4 -> {
                double stem = 0.66 + p.j(), bar = 0.65 + p.j();
                if (rng.nextDouble() < 0.6) {
                    p.move(stem, 0.95 + p.j()).line(stem, 0.05 + p.j()).line(0.15 + p.j(), bar).line(0.85 + p.j(), bar);
                } else {
                    p.move(0.25 + p.j(), 0.05 + p.j()).line(0.18 + p.j(), bar).line(0.85 + p.j(), bar);
                    p.move(stem, 0.25 + p.j()).line(stem, 0.95 + p.j());
                }
            }
            case 5 -> {
                p.move(0.78 + p.j(), 0.05 + p.j()).line(0.3 + p.j(), 0.05 + p.j()).line(0.27 + p.j(), 0.45 + p.j());
                p.arc(0.48, 0.68 + p.j(), 0.29, 0.26, 235 + p.j() * 200, 515 + p.j() * 200);
            }
            case 6 -> {
                p.move(0.72 + p.j(), 0.06 + p.j()).line(0.48 + p.j(), 0.22 + p.j()).line(0.3 + p.j(), 0.45 + p.j());
                p.line(0.25, 0.68);
                p.arc(0.5 + p.j(), 0.7, 0.25, 0.23, 180, 540 + p.j() * 200);
            }
            case 7 -> {
                p.move(0.18 + p.j(), 0.07 + p.j()).line(0.82 + p.j(), 0.07 + p.j()).line(0.42 + p.j(), 0.95 + p.j());
                if (rng.nextDouble() < 0.3) {
                    p.move(0.42 + p.j(), 0.52 + p.j()).line(0.78 + p.j(), 0.52 + p.j());
                }
            }
            case 8 -> {
                p.arc(0.5 + p.j(), 0.28, 0.21, 0.2, 90, 450);
                p.arc(0.5 + p.j(), 0.71, 0.26, 0.24, 270, 630);
            }
            case 9 -> {
                p.arc(0.5, 0.3, 0.25, 0.22, 0, 360 + p.j() * 200);
                if (rng.nextDouble() < 0.6) {
                    p.move(0.75, 0.3).line(0.7 + p.j(), 0.62 + p.j()).line(0.58 + p.j(), 0.95 + p.j());
                } else {
                    p.move(0.75, 0.3).line(0.75 + p.j(), 0.95 + p.j());
                }
            }
            default -> throw new IllegalArgumentException("digit must be 0..9, got " + digit);
        }
    }

    /** Collects polylines in unit coordinates; an arc continues the current polyline. */
    private static final class Pen {
        final List<double[]> strokes = new ArrayList<>();
        private final SplittableRandom rng;
        private double[] current = new double[0];

        Pen(SplittableRandom rng) {
            this.rng = rng;
        }

        /** A small random wobble for one coordinate. */
        double j() {
            return 0.03 * rng.nextGaussian();
        }

        Pen move(double x, double y) {
            current = new double[] {x, y};
            strokes.add(current);
            return this;
        }

        Pen line(double x, double y) {
            double[] longer = Arrays.copyOf(current, current.length + 2);
            longer[current.length] = x;
            longer[current.length + 1] = y;
            strokes.set(strokes.size() - 1, longer);
            current = longer;
            return this;
        }

        /**
         * An elliptic arc around (cx,cy) from angle {@code fromDeg} to {@code toDeg} (degrees,
         * 0 = right, 90 = down since y points down), with jittered radii; it starts a new
         * polyline unless one is open, in which case it joins it.
         */
        Pen arc(double cx, double cy, double rx, double ry, double fromDeg, double toDeg) {
            rx *= 1 + 2 * j();
            ry *= 1 + 2 * j();
            int steps = Math.max(2, (int) Math.ceil(Math.abs(toDeg - fromDeg) / 15));
            for (int s = 0; s <= steps; s++) {
                double a = Math.toRadians(fromDeg + (toDeg - fromDeg) * s / steps);
                double x = cx + rx * Math.cos(a), y = cy + ry * Math.sin(a);
                if (s == 0 && current.length == 0) {
                    move(x, y);
                } else {
                    line(x, y);
                }
            }
            return this;
        }
    }
}
