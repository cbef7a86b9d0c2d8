package io.sparsestep.backend.cuda;

import io.sparsestep.backend.cuda.ConformanceChecks.Check;
import io.sparsestep.backend.cuda.ConformanceChecks.Tolerance;
import io.sparsestep.backend.cuda.ConformanceSession.Twin;

import java.util.List;

import static io.sparsestep.backend.cuda.ConformanceChecks.ALL_SIZES;

/**
 * Conformance of {@link io.sparsestep.backend.MaskOps} (kernels/mask.cu vs
 * backend.cpu.CpuMaskOps), all bitwise: masks with kept values other than 1, weights with
 * NaN, -0.0 and values exactly at the threshold (the tie rule), masks and weights at every
 * byte and word offset 0-3. DropPruning's move under Philox draws: seeds, rounds and
 * element indices with their high words set (the counter's upper halves), rates that drop or
 * restore about half, everything, or nothing, with and without a saved-weights buffer.
 * Found by {@link ConformanceChecks#all()} through {@code Backend.masks()}.
 */
final class MaskOpsChecks {
    private MaskOpsChecks() {}

    static List<Check> checks() {
        return List.of(new Check("masks.apply", MaskOpsChecks::apply), new Check("masks.countKept", MaskOpsChecks::countKept),
                new Check("masks.fromMagnitude", MaskOpsChecks::fromMagnitude), new Check("masks.dropStep", MaskOpsChecks::dropStep));
    }

    /** A mask keeping about 60%, with kept bytes 1, 2 or 255 (any non-zero keeps). */
    static byte[] mask(ConformanceSession s, int n) {
        byte[] m = new byte[n];
        for (int i = 0; i < n; i++) {
            double u = s.random.nextDouble();
            m[i] = u < 0.4 ? 0 : u < 0.9 ? (byte) 1 : u < 0.95 ? (byte) 2 : (byte) 255;
        }
        return m;
    }

    /** Weights in [-1, 1) with NaN, -0.0 and exact ties with {@code threshold} among them. */
    private static float[] weights(ConformanceSession s, int n, float threshold) {
        float[] w = s.uniform(n);
        for (int i = 0; i < n; i++) {
            double u = s.random.nextDouble();
            if (u < 0.02) w[i] = Float.NaN;
            else if (u < 0.04) w[i] = -0f;
            else if (u < 0.08) w[i] = threshold;
            else if (u < 0.12) w[i] = -threshold;
        }
        return w;
    }

    private static void apply(ConformanceSession s) {
        for (int n : ALL_SIZES) {
            for (int[] off : new int[][] {{0, 0}, {1, 2}, {3, 1}, {2, 3}}) {
                s.variant = "n=" + n + " mask offset=" + off[0] + " x offset=" + off[1];
                Twin m = s.bytesTwin(mask(s, n), off[0]), x = s.twin(weights(s, n, 0.5f), off[1], n);
                s.both(b -> b.masks().apply(m.on(b), x.on(b)));
                s.compare("x", x, Tolerance.BITWISE);
                s.compareBytes("mask unchanged", m);
            }
        }
    }

    private static void countKept(ConformanceSession s) {
        for (int n : ALL_SIZES) {
            for (int offset = 0; offset < 4; offset++) {
                s.variant = "n=" + n + " offset=" + offset;
                Twin m = s.bytesTwin(mask(s, n), offset);
                s.compareScalar("kept", s.tested.masks().countKept(m.tested()), s.reference.masks().countKept(m.reference()),
                        Tolerance.BITWISE);
            }
        }
    }

    private static void fromMagnitude(ConformanceSession s) {
        for (float threshold : new float[] {0f, 0.25f}) {
            for (int n : ALL_SIZES) {
                for (int[] off : new int[][] {{0, 0}, {1, 3}, {2, 1}, {3, 2}}) {
                    s.variant = "threshold=" + threshold + " n=" + n + " x offset=" + off[0] + " mask offset=" + off[1];
                    Twin x = s.twin(weights(s, n, threshold), off[0], n), m = s.bytesTwin(mask(s, n), off[1]);
                    s.both(b -> b.masks().fromMagnitude(x.on(b), threshold, m.on(b)));
                    s.compareBytes("mask", m);
                    s.compare("x unchanged", x, Tolerance.BITWISE);
                }
            }
        }
    }

    /** {seed, round, indexBase} and {p, q} of the drop-step variants. */
    private static final long[][] DRAWS = {{42, 0, 0}, {0x9E3779B97F4A7C15L, 0x1_0000_0003L, 0x3_FFFF_FFF0L}, {-7, 5, 1_000_003}};
    private static final float[][] RATES = {{0.5f, 0.3f}, {1f, 0f}, {0f, 1f}, {0.07f, 0.02f}};

    private static void dropStep(ConformanceSession s) {
        int variant = 0;
        for (long[] draw : DRAWS) {
            for (float[] rate : RATES) {
                for (int n : ALL_SIZES) {
                    // offsets of w, mask, survivors, saved (words for floats, bytes for masks), odd byte offsets among them
                    int[] off = new int[][] {{0, 0, 0, 0}, {1, 3, 1, 2}, {3, 1, 2, 0}, {2, 2, 3, 1}}[variant++ % 4];
                    boolean withSaved = variant % 3 != 0;
                    long seed = draw[0], round = draw[1], indexBase = draw[2];
                    float p = rate[0], q = rate[1];
                    s.variant = "seed=" + seed + " round=" + round + " indexBase=" + indexBase + " p=" + p + " q=" + q + " n=" + n
                            + " offsets=" + off[0] + "," + off[1] + "," + off[2] + "," + off[3] + (withSaved ? "" : " saved=null");
                    Twin w = s.random(off[0], n), mask = s.bytesTwin(mask(s, n), off[1]), survivors = s.bytesTwin(mask(s, n), off[2]);
                    Twin saved = withSaved ? s.random(off[3], n) : null;
                    s.both(b -> b.masks().dropStep(w.on(b), mask.on(b), survivors.on(b), saved == null ? null : saved.on(b), seed, round,
                            indexBase, p, q));
                    s.compareBytes("mask", mask);
                    s.compare("w", w, Tolerance.BITWISE);
                    if (saved != null) s.compare("saved", saved, Tolerance.BITWISE);
                    s.compareBytes("survivors unchanged", survivors);
                }
            }
        }
    }
}
