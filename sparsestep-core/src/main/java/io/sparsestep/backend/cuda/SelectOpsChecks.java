package io.sparsestep.backend.cuda;

import io.sparsestep.backend.SelectOps;
import io.sparsestep.backend.SelectOps.Score;
import io.sparsestep.backend.SelectOps.Selection;
import io.sparsestep.backend.SelectOps.Ties;
import io.sparsestep.backend.cuda.ConformanceChecks.Check;
import io.sparsestep.backend.cuda.ConformanceChecks.Float4Split;
import io.sparsestep.backend.cuda.ConformanceChecks.Tolerance;
import io.sparsestep.backend.cuda.ConformanceSession.Twin;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

import static io.sparsestep.backend.cuda.ConformanceChecks.FLOAT4_PATHS;
import static io.sparsestep.backend.cuda.ConformanceChecks.GRID_STRIDE_SIZE;
import static io.sparsestep.backend.cuda.ConformanceChecks.alignmentCombinations;

/**
 * Conformance of {@link SelectOps} (kernels/select.cu vs backend.cpu.CpuSelectOps), all
 * bitwise: the same threshold bits (in the {@link Selection} and in the one-word
 * {@link SelectOps#threshold} view), counts and validity, and the same masks under both
 * tie rules, in place too. Inputs hold many exact ties, zeros of both signs, subnormals,
 * +inf and NaN (and all-equal scores), with and without a candidates mask; k is 1, inside
 * the ties, every valid candidate, and beyond them (an invalid selection, whose mask keeps
 * nothing). On the short sizes every alignment combination of w, g (words) and the
 * candidates (bytes) runs, the mask at yet another byte offset, so the float4 split of w
 * and g reaches all its paths ({@code selects.kthLargest.float4 split paths}). Found by
 * {@link ConformanceChecks#all()} through {@code Backend.selects()}.
 */
final class SelectOpsChecks {
    /**
     * More chunks of 4096 entries than the fake GPU's (4 SMs) full wave of 32 blocks, so the
     * tie passes' chunk loops stride too (on a real GPU the host-kernel check covers that).
     */
    static final int CHUNK_STRIDE_SIZE = 140_001;
    private static final int[] SIZES = {0, 1, 5, 1023, GRID_STRIDE_SIZE, CHUNK_STRIDE_SIZE};

    private SelectOpsChecks() {}

    static List<Check> checks() {
        return List.of(new Check("selects.kthLargest", s -> run(s, false)), new Check("selects.keepTop", s -> run(s, true)));
    }

    /** How a case's scores are drawn. */
    private enum Flavor { MIXED, TIES, ALL_EQUAL }

    /** One case: size, the word offsets of w and g, the byte offsets of the candidates and the mask, and what is drawn. */
    private record Case(int n, int wOffset, int gOffset, int candidatesOffset, int maskOffset, Score score, boolean candidates,
                        Flavor flavor) {
        String describe() {
            return "n=" + n + " " + score + (candidates ? " candidates" : "") + " " + flavor + " offsets w=" + wOffset + ",g=" + gOffset
                    + ",candidates=" + candidatesOffset + ",mask=" + maskOffset;
        }
    }

    /**
     * Every alignment combination of the three inputs on the short sizes (each with |g*w|
     * and candidates, the case that reads all three), and for every size each score with and
     * without candidates; flavors and the mask's offset rotate.
     */
    static List<Case> cases() {
        List<Case> cases = new ArrayList<>();
        int rotation = 0;
        for (int n : SIZES) {
            boolean large = n >= GRID_STRIDE_SIZE;
            if (n > 0 && !large) {
                for (int[] off : alignmentCombinations(3)) {
                    Flavor flavor = Flavor.values()[rotation++ % Flavor.values().length];
                    cases.add(new Case(n, off[0], off[1], off[2], (off[0] + off[1] + off[2]) & 3, Score.SALIENCY, true, flavor));
                }
            }
            for (Score score : Score.values()) {
                for (boolean candidates : new boolean[] {false, true}) {
                    if (large && n == CHUNK_STRIDE_SIZE && !candidates) continue;
                    int r = rotation++;
                    cases.add(new Case(n, r & 3, r & 3, (r >> 1) & 3, (r >> 2) & 3, score, candidates,
                            large ? Flavor.TIES : Flavor.values()[r % Flavor.values().length]));
                }
            }
        }
        return cases;
    }

    private static void run(ConformanceSession s, boolean masks) {
        for (Case c : cases()) {
            Inputs in = Inputs.draw(s, c);
            if (!masks) markFloat4Paths(s, c);
            for (long k : in.ks(c.n >= GRID_STRIDE_SIZE, masks)) {
                s.variant = c.describe() + " k=" + k;
                Twin scratch = s.twin(nanWords(words(s, c.n)), c.wOffset, words(s, c.n));
                s.both(b -> b.selects().kthLargest(c.score, in.w.on(b), in.g.on(b), in.candidates == null ? null : in.candidates.on(b), k,
                        scratch.on(b)));
                if (masks) keepTop(s, c, in, scratch);
                else compareSelection(s, scratch);
            }
            s.compare("w unchanged", in.w, Tolerance.BITWISE);
            if (in.candidates != null) s.compareBytes("candidates unchanged", in.candidates);
        }
        if (!masks) s.requireReached("float4 split paths", FLOAT4_PATHS);
    }

    /** w and g are what the float4 split divides (the byte masks are read a byte at a time). */
    private static void markFloat4Paths(ConformanceSession s, Case c) {
        if (c.score == Score.SALIENCY) Float4Split.of(c.n, c.wOffset, c.gOffset).markReached(s);
        else Float4Split.of(c.n, c.wOffset).markReached(s);
    }

    private static void compareSelection(ConformanceSession s, Twin scratch) {
        Selection got = s.tested.selects().read(scratch.tested()), want = s.reference.selects().read(scratch.reference());
        s.compareScalar("threshold bits", Float.floatToRawIntBits(got.threshold()), Float.floatToRawIntBits(want.threshold()), Tolerance.BITWISE);
        s.compareScalar("above", got.above(), want.above(), Tolerance.BITWISE);
        s.compareScalar("equal", got.equal(), want.equal(), Tolerance.BITWISE);
        s.compareScalar("candidates", got.candidates(), want.candidates(), Tolerance.BITWISE);
        s.compareScalar("nan", got.nan(), want.nan(), Tolerance.BITWISE);
        s.compareScalar("k", got.k(), want.k(), Tolerance.BITWISE);
        s.compareScalar("valid", got.valid() ? 1 : 0, want.valid() ? 1 : 0, Tolerance.BITWISE);
        float[] view = s.read(s.tested, s.tested.selects().threshold(scratch.tested()));
        s.compareScalar("threshold view bits", Float.floatToRawIntBits(view[0]), Float.floatToRawIntBits(want.threshold()), Tolerance.BITWISE);
        s.checkGuards("scratch", scratch);
    }

    /** Both tie rules into a separate mask, and in place over a copy of the candidates. */
    private static void keepTop(ConformanceSession s, Case c, Inputs in, Twin scratch) {
        for (Ties ties : Ties.values()) {
            Twin mask = s.bytesTwin(new byte[c.n], c.maskOffset);
            s.both(b -> b.selects().keepTop(c.score, in.w.on(b), in.g.on(b), in.candidates == null ? null : in.candidates.on(b), ties,
                    scratch.on(b), mask.on(b)));
            s.compareBytes("mask " + ties, mask);
            if (in.candidates == null) continue;
            Twin inPlace = s.bytesTwin(in.candidateBytes, c.candidatesOffset);
            s.both(b -> b.selects().keepTop(c.score, in.w.on(b), in.g.on(b), inPlace.on(b), ties, scratch.on(b), inPlace.on(b)));
            s.compareBytes("mask " + ties + " in place", inPlace);
        }
        s.checkGuards("scratch", scratch);
    }

    /** The larger of the two backends' scratch sizes (each uses its own prefix; the guards follow the larger). */
    private static int words(ConformanceSession s, int n) {
        return Math.toIntExact(Math.max(s.tested.selects().scratchWords(n), s.reference.selects().scratchWords(n)));
    }

    /** Scratch starts as NaN: a backend that reads state it did not write shows. */
    private static float[] nanWords(int words) {
        float[] v = new float[words];
        java.util.Arrays.fill(v, Float.NaN);
        return v;
    }

    /** The inputs of one case on both backends, and the scores' count of valid candidates (for the k's). */
    private record Inputs(Twin w, Twin g, Twin candidates, byte[] candidateBytes, long valid) {
        static Inputs draw(ConformanceSession s, Case c) {
            float[] w = new float[c.n], g = new float[c.n];
            for (int i = 0; i < c.n; i++) {
                w[i] = value(s, c.flavor, true);
                g[i] = value(s, c.flavor, false);
            }
            byte[] cand = c.candidates ? MaskOpsChecks.mask(s, c.n) : null; // about 60%, bytes 1, 2 or 255
            long valid = 0;
            for (int i = 0; i < c.n; i++) {
                float score = c.score == Score.MAGNITUDE ? Math.abs(w[i]) : Math.abs(g[i] * w[i]);
                if ((cand == null || cand[i] != 0) && !Float.isNaN(score)) valid++;
            }
            return new Inputs(s.twin(w, c.wOffset, c.n), s.twin(g, c.gOffset, c.n), cand == null ? null : s.bytesTwin(cand, c.candidatesOffset),
                    cand, valid);
        }

        /**
         * k = 1, inside the ties, all valid candidates, one beyond (invalid), and on the long
         * sizes a k over 32 bits. The masks take fewer: inside the ties (where the exact rule
         * cuts them) and beyond, and k = 1 on the short sizes.
         */
        Set<Long> ks(boolean large, boolean masks) {
            Set<Long> ks = new LinkedHashSet<>();
            if (!masks || !large) ks.add(1L);
            ks.add(Math.max(1, valid / 2));
            if (!masks) ks.add(Math.max(1, valid));
            ks.add(valid + 1);
            if (large && !masks) ks.add(1L << 40);
            return ks;
        }
    }

    /**
     * Ties, zeros, subnormals, infinities, and a NaN whose bits share +inf's leading digits
     * (0x7f800001: once +inf is the threshold's prefix, only the NaN test keeps it out).
     */
    private static final float[] LEVELS = {0f, -0f, 1f, -1f, 0.5f, 3e-39f, Float.MIN_VALUE, 1e30f, Float.POSITIVE_INFINITY,
            Float.NEGATIVE_INFINITY, Float.intBitsToFloat(0x7f800001)};
    private static final float[] TIE_LEVELS = {0f, 0.5f, -0.5f, 1f, -1f, 2f};

    private static float value(ConformanceSession s, Flavor flavor, boolean weight) {
        double u = s.random.nextDouble();
        return switch (flavor) {
            case ALL_EQUAL -> weight ? -0.75f : 2f;
            case TIES -> weight ? TIE_LEVELS[s.random.nextInt(TIE_LEVELS.length)] : (u < 0.5 ? 1f : -0.5f);
            case MIXED -> u < 0.02 ? Float.NaN
                    : u < 0.3 ? (weight ? LEVELS[s.random.nextInt(LEVELS.length)] : 0.5f)
                    : (float) (2 * s.random.nextDouble() - 1);
        };
    }
}
