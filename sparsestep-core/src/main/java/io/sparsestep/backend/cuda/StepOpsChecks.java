package io.sparsestep.backend.cuda;

import io.sparsestep.backend.cuda.ConformanceChecks.Check;
import io.sparsestep.backend.cuda.ConformanceChecks.Float4Split;
import io.sparsestep.backend.cuda.ConformanceChecks.Tolerance;
import io.sparsestep.backend.cuda.ConformanceSession.Twin;

import java.util.List;
import java.util.Locale;

import static io.sparsestep.backend.cuda.ConformanceChecks.ALL_SIZES;
import static io.sparsestep.backend.cuda.ConformanceChecks.FLOAT4_PATHS;
import static io.sparsestep.backend.cuda.ConformanceChecks.GRID_STRIDE_SIZE;
import static io.sparsestep.backend.cuda.ConformanceChecks.alignmentCombinations;

/**
 * Conformance of {@link io.sparsestep.backend.StepOps} (kernels/optim.cu vs
 * backend.cpu.CpuStepOps), all bitwise: both kernels round every product and sum
 * separately, as Java does. Every alignment combination of the three pointers (two for
 * SGD without momentum) at every size, so each step must report that its float4 split
 * ran the scalar head, the float4 body, the scalar tail and the all-scalar path
 * ({@code steps.grda.float4 split paths}, {@code steps.sgd.float4 split paths}). SGD in
 * five settings over a first step (which must not read the NaN-filled buffer) and a
 * second; gRDA at tau 0 and 0.3, with a NaN accumulator, with and without its zero
 * counter. GSM in three settings (with and without momentum, Nesterov) against a threshold
 * that several entries tie with exactly, NaN gradients and weights among the entries (a NaN
 * score is never selected), the threshold word at its own offset; masked SGD in three
 * settings, pruned weights zeroed or left to drift, masks with kept bytes 1, 2 and 255 at
 * every byte offset 0-3. Both over a first and a second step and every alignment of w, g
 * and m, reaching every float4 path. Found by {@link ConformanceChecks#all()} through
 * {@code Backend.steps()}.
 */
final class StepOpsChecks {
    /** {momentum, dampening, weightDecay, nesterov(0/1)}. */
    private static final float[][] SGD_VARIANTS = {{0f, 0f, 0f, 0}, {0f, 0f, 5e-4f, 0}, {0.9f, 0f, 0f, 0}, {0.9f, 0.1f, 1e-4f, 0},
            {0.9f, 0f, 5e-4f, 1}};

    /** GSM settings {momentum, weightDecay, nesterov(0/1)}: dampening is always 0. */
    private static final float[][] GSM_VARIANTS = {{0.9f, 1e-4f, 0}, {0.98f, 0f, 1}, {0f, 5e-4f, 0}};
    /** Masked SGD settings {momentum, dampening, weightDecay, nesterov(0/1)}. */
    private static final float[][] MASKED_VARIANTS = {{0.9f, 0f, 5e-4f, 0}, {0.9f, 0.1f, 1e-4f, 0}, {0f, 0f, 5e-4f, 0}, {0.9f, 0f, 0f, 1}};

    private StepOpsChecks() {}

    static List<Check> checks() {
        return List.of(new Check("steps.grda", StepOpsChecks::grda), new Check("steps.sgd", StepOpsChecks::sgd),
                new Check("steps.gsm", StepOpsChecks::gsm), new Check("steps.maskedSgd", StepOpsChecks::maskedSgd));
    }

    private static void grda(ConformanceSession s) {
        for (float tau : new float[] {0f, 0.3f}) {
            for (int n : ALL_SIZES) {
                for (int[] off : alignmentCombinations(3)) {
                    if (n == GRID_STRIDE_SIZE && !allEqual(off)) continue;
                    Float4Split.of(n, off[0], off[1], off[2]).markReached(s);
                    for (boolean counted : new boolean[] {true, false}) {
                        s.variant = "tau=" + tau + " n=" + n + " offsets=" + off[0] + "," + off[1] + "," + off[2] + (counted ? "" : " counter=null");
                        Twin w = s.constant(Float.NaN, off[0], n); // never read
                        Twin g = s.random(off[1], n), acc = s.random(off[2], n);
                        // a diverged accumulator must come out as NaN on both, never as a pruned zero
                        if (n > 2) s.both(b -> b.elementwise().fill(acc.on(b).range(2, 1), Float.NaN));
                        Twin counter = counted ? s.constant(0f, 1, 1) : null;
                        if (counted) s.both(b -> b.elementwise().fill(counter.on(b), 0f));
                        s.both(b -> b.steps().grda(w.on(b), g.on(b), acc.on(b), 0.1f, tau, counter == null ? null : counter.on(b)));
                        s.compare("w", w, Tolerance.BITWISE);
                        s.compare("acc", acc, Tolerance.BITWISE);
                        if (counted) {
                            long tested = s.tested.readCounter(counter.tested());
                            s.compareScalar("zero counter", tested, s.reference.readCounter(counter.reference()), Tolerance.BITWISE);
                            s.compareScalar("zero counter vs countZeros(w)", tested, s.tested.elementwise().countZeros(w.tested()), Tolerance.BITWISE);
                        }
                    }
                }
            }
        }
        s.requireReached("float4 split paths", FLOAT4_PATHS);
    }

    private static void sgd(ConformanceSession s) {
        for (float[] v : SGD_VARIANTS) {
            float momentum = v[0], dampening = v[1], wd = v[2];
            boolean nesterov = v[3] != 0;
            for (int n : ALL_SIZES) {
                for (int[] off : alignmentCombinations(momentum == 0f ? 2 : 3)) {
                    if (n == GRID_STRIDE_SIZE && !allEqual(off)) continue;
                    int mOffset = momentum == 0f ? 0 : off[2];
                    markReached(s, n, momentum, off);
                    s.variant = String.format(Locale.ROOT, "momentum=%s dampening=%s wd=%s nesterov=%s n=%d offsets=%d,%d,%d",
                            momentum, dampening, wd, nesterov, n, off[0], off[1], mOffset);
                    Twin w = s.random(off[0], n), g = s.random(off[1], n);
                    Twin m = momentum == 0f ? null : s.constant(Float.NaN, mOffset, n); // first step must not read it
                    s.both(b -> b.steps().sgd(w.on(b), g.on(b), m == null ? null : m.on(b), 0.05f, momentum, dampening, wd, nesterov, true));
                    s.compare("w after step 1", w, Tolerance.BITWISE);
                    if (m != null) s.compare("momentum after step 1", m, Tolerance.BITWISE);
                    s.upload(g, s.uniform(n));
                    s.both(b -> b.steps().sgd(w.on(b), g.on(b), m == null ? null : m.on(b), 0.05f, momentum, dampening, wd, nesterov, false));
                    s.compare("w after step 2", w, Tolerance.BITWISE);
                    if (m != null) s.compare("momentum after step 2", m, Tolerance.BITWISE);
                    s.compare("g unchanged", g, Tolerance.BITWISE);
                }
            }
        }
        s.requireReached("float4 split paths", FLOAT4_PATHS);
    }

    private static void gsm(ConformanceSession s) {
        for (float[] v : GSM_VARIANTS) {
            float momentum = v[0], wd = v[1];
            boolean nesterov = v[2] != 0;
            for (int n : ALL_SIZES) {
                int code = 0;
                for (int[] off : alignmentCombinations(momentum == 0f ? 2 : 3)) {
                    code++;
                    if (n == GRID_STRIDE_SIZE && !allEqual(off)) continue;
                    int mOffset = momentum == 0f ? 0 : off[2], thOffset = code % 4;
                    markReached(s, n, momentum, off);
                    s.variant = String.format(Locale.ROOT, "momentum=%s wd=%s nesterov=%s n=%d offsets=%d,%d,%d threshold offset=%d",
                            momentum, wd, nesterov, n, off[0], off[1], mOffset, thOffset);
                    float[] w0 = s.uniform(n), g0 = s.uniform(n);
                    float th = tiedThreshold(w0, g0);
                    if (n > 4) {
                        g0[1] = Float.NaN; // a NaN score is never selected: this weight gets only its decay
                        w0[4] = Float.NaN; // a NaN weight stays NaN on both
                    }
                    Twin w = s.twin(w0, off[0], n), g = s.twin(g0, off[1], n), threshold = s.twin(new float[]{th}, thOffset, 1);
                    Twin m = momentum == 0f ? null : s.constant(Float.NaN, mOffset, n); // first step must not read it
                    s.both(b -> b.steps().gsm(w.on(b), g.on(b), m == null ? null : m.on(b), threshold.on(b), 0.05f, momentum, wd, nesterov, true));
                    s.compare("w after step 1", w, Tolerance.BITWISE);
                    if (m != null) s.compare("momentum after step 1", m, Tolerance.BITWISE);
                    s.upload(g, s.uniform(n)); // a fresh gradient: another selection, and the first step's momentum goes stale
                    s.both(b -> b.steps().gsm(w.on(b), g.on(b), m == null ? null : m.on(b), threshold.on(b), 0.05f, momentum, wd, nesterov, false));
                    s.compare("w after step 2", w, Tolerance.BITWISE);
                    if (m != null) s.compare("momentum after step 2", m, Tolerance.BITWISE);
                    s.compare("g unchanged", g, Tolerance.BITWISE);
                    s.compare("threshold unchanged", threshold, Tolerance.BITWISE);
                }
            }
        }
        s.requireReached("float4 split paths", FLOAT4_PATHS);
    }

    /**
     * The score of the middle entry as the threshold, with that entry's (w, g) copied to every
     * seventh entry, so exact ties (kept: {@code >=}) sit in the head, body and tail alike.
     */
    private static float tiedThreshold(float[] w, float[] g) {
        int mid = w.length / 2;
        for (int i = 3; i < w.length; i += 7) {
            w[i] = w[mid];
            g[i] = (i / 7) % 2 == 0 ? g[mid] : -g[mid]; // both signs of the product tie
        }
        return Math.abs(g[mid] * w[mid]);
    }

    private static void maskedSgd(ConformanceSession s) {
        for (float[] v : MASKED_VARIANTS) {
            float momentum = v[0], dampening = v[1], wd = v[2];
            boolean nesterov = v[3] != 0;
            for (int n : ALL_SIZES) {
                int code = 0;
                for (int[] off : alignmentCombinations(momentum == 0f ? 2 : 3)) {
                    code++;
                    if (n == GRID_STRIDE_SIZE && !allEqual(off)) continue;
                    // pruned weights zeroed or left to drift, and the mask at byte offsets 0-3, both varying with the offsets
                    boolean zeroPruned = (code / 4) % 2 == 0;
                    int mOffset = momentum == 0f ? 0 : off[2], maskOffset = code % 4;
                    markReached(s, n, momentum, off);
                    s.variant = String.format(Locale.ROOT, "momentum=%s dampening=%s wd=%s nesterov=%s zeroPruned=%s n=%d offsets=%d,%d,%d mask byte offset=%d",
                            momentum, dampening, wd, nesterov, zeroPruned, n, off[0], off[1], mOffset, maskOffset);
                    Twin w = s.random(off[0], n), g = s.random(off[1], n), mask = s.bytesTwin(MaskOpsChecks.mask(s, n), maskOffset);
                    Twin m = momentum == 0f ? null : s.constant(Float.NaN, mOffset, n); // first step must not read it
                    for (boolean first : new boolean[]{true, false}) {
                        s.both(b -> b.steps().maskedSgd(w.on(b), g.on(b), m == null ? null : m.on(b), mask.on(b), 0.05f, momentum,
                                dampening, wd, nesterov, first, zeroPruned));
                        String step = first ? " after step 1" : " after step 2";
                        s.compare("w" + step, w, Tolerance.BITWISE);
                        if (m != null) s.compare("momentum" + step, m, Tolerance.BITWISE);
                        if (first) s.upload(g, s.uniform(n));
                    }
                    s.compare("g unchanged", g, Tolerance.BITWISE);
                    s.compareBytes("mask unchanged", mask);
                }
            }
        }
        s.requireReached("float4 split paths", FLOAT4_PATHS);
    }

    /** Marks the float4 paths a step over w, g (and m, with momentum) at these word offsets runs. */
    private static void markReached(ConformanceSession s, int n, float momentum, int[] off) {
        if (momentum == 0f) Float4Split.of(n, off[0], off[1]).markReached(s);
        else Float4Split.of(n, off[0], off[1], off[2]).markReached(s);
    }

    private static boolean allEqual(int[] values) {
        for (int v : values) {
            if (v != values[0]) return false;
        }
        return true;
    }
}
