package io.sparsestep.backend.cpu;

import io.sparsestep.backend.Buffer;
import io.sparsestep.backend.DType;
import io.sparsestep.backend.SelectOps;
import io.sparsestep.backend.SelectOps.Score;
import io.sparsestep.backend.SelectOps.Selection;
import io.sparsestep.backend.SelectOps.Ties;
import io.sparsestep.backend.Tensor;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static io.sparsestep.backend.cpu.CpuTestSupport.tensor;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link CpuSelectOps} against a sort of the scores: the exact k-th largest, its counts, both
 * tie rules, candidates, NaN never selected, sizes across pieces, any thread count alike, and
 * GSM's golden mask of ALGORITHMS.md 3.4.
 */
class CpuSelectOpsTest {
    static final float[] GSM_W = {1f, -2f, 0.5f, 4f, -1f, 0.25f};
    static final float[] GSM_G = {0.5f, 0.125f, -1f, 0f, 0.75f, 2f};

    @Test
    void gsmGoldenMaskKeepsTiesAtTheThreshold() {
        try (CpuBackend be = new CpuBackend(2)) {
            Tensor w = tensor(be, GSM_W, 6), g = tensor(be, GSM_G, 6);
            Tensor scratch = scratch(be, 6);
            // scores [0.5, 0.25, 0.5, 0, 0.75, 0.5]
            be.selects().kthLargest(Score.SALIENCY, w, g, null, 1, scratch);
            assertEquals(new Selection(0.75f, 0, 1, 6, 0, 1), be.selects().read(scratch));
            assertArrayEquals(new byte[]{0, 0, 0, 0, 1, 0}, keepTop(be, w, g, null, Ties.KEEP_ALL, scratch));
            for (int q = 2; q <= 4; q++) {
                be.selects().kthLargest(Score.SALIENCY, w, g, null, q, scratch);
                Selection s = be.selects().read(scratch);
                assertEquals(0.5f, s.threshold(), "Q=" + q);
                assertEquals(1, s.above());
                assertEquals(3, s.equal());
                assertArrayEquals(new byte[]{1, 0, 1, 0, 1, 1}, keepTop(be, w, g, null, Ties.KEEP_ALL, scratch), "Q=" + q);
            }
            // exactly Q=3: the tie at 0.5 is broken by index, lowest first (elements 0 and 2 of 0, 2, 5)
            be.selects().kthLargest(Score.SALIENCY, w, g, null, 3, scratch);
            assertArrayEquals(new byte[]{1, 0, 1, 0, 1, 0}, keepTop(be, w, g, null, Ties.LOWEST_INDEX_FIRST, scratch));
        }
    }

    @Test
    void matchesASortOnTiesZerosInfinitiesNanAndCandidatesAcrossPieces() {
        Random r = new Random(11);
        int n = 2 * CpuBackend.CHUNK + 37;
        float[] w = new float[n], g = new float[n];
        byte[] cand = new byte[n];
        float[] levels = {0f, -0f, 1f, -1f, 0.5f, 3e-39f, Float.MIN_VALUE, 1e30f, Float.POSITIVE_INFINITY};
        for (int i = 0; i < n; i++) {
            // many exact ties (a handful of values), subnormals, zeros of both signs, infinities, a few NaN
            w[i] = r.nextInt(4) == 0 ? levels[r.nextInt(levels.length)] : (float) r.nextGaussian();
            if (r.nextInt(1000) == 0) w[i] = Float.NaN;
            g[i] = r.nextInt(5) == 0 ? 0.5f : (float) r.nextGaussian();
            cand[i] = (byte) (r.nextInt(3) == 0 ? 0 : 1 + r.nextInt(3));
        }
        byte[] reference = null;
        for (int threads : new int[]{1, 3}) {
            try (CpuBackend be = new CpuBackend(threads)) {
                Tensor wt = tensor(be, w, n), gt = tensor(be, g, n), ct = mask(be, cand);
                Tensor scratch = scratch(be, n);
                for (Score score : Score.values()) {
                    for (Tensor candidates : new Tensor[]{null, ct}) {
                        float[] s = scores(score, w, g, candidates == null ? null : cand);
                        int valid = s.length;
                        for (long k : new long[]{1, 2, 17, valid / 3, valid - 1, valid}) {
                            be.selects().kthLargest(score, wt, gt, candidates, k, scratch);
                            Selection sel = be.selects().read(scratch);
                            float th = s[(int) (k - 1)];
                            String what = score + (candidates == null ? "" : " among candidates") + ", k=" + k + ", threads=" + threads;
                            assertEquals(Float.floatToRawIntBits(th), Float.floatToRawIntBits(sel.threshold()), what);
                            long above = 0, equal = 0;
                            for (float x : s) {
                                if (x > th) above++;
                                else if (x == th) equal++;
                            }
                            assertEquals(above, sel.above(), what);
                            assertEquals(equal, sel.equal(), what);
                            assertTrue(sel.valid(), what);
                            byte[] all = keepTop(be, score, wt, gt, candidates, Ties.KEEP_ALL, scratch);
                            byte[] exact = keepTop(be, score, wt, gt, candidates, Ties.LOWEST_INDEX_FIRST, scratch);
                            assertEquals(above + equal, count(all), what);
                            assertEquals(k, count(exact), what);
                            assertArrayEquals(expectedExact(score, w, g, candidates == null ? null : cand, th, k - above), exact, what);
                            if (k == valid / 3 && score == Score.SALIENCY && candidates != null) {
                                if (reference == null) reference = exact;
                                else assertArrayEquals(reference, exact, "1 and 3 threads differ");
                            }
                        }
                    }
                }
                assertEquals(countNan(w, cand), nanCandidates(be, wt, ct, scratch));
            }
        }
    }

    @Test
    void aKBeyondTheNonNanCandidatesIsAnInvalidSelectionThatKeepsNothing() {
        try (CpuBackend be = new CpuBackend(2)) {
            Tensor w = tensor(be, new float[]{1f, Float.NaN, 2f}, 3);
            Tensor scratch = scratch(be, 3);
            be.selects().kthLargest(Score.MAGNITUDE, w, null, null, 3, scratch);
            Selection s = be.selects().read(scratch);
            assertFalse(s.valid());
            assertEquals(1, s.nan());
            assertEquals(3, s.candidates());
            assertArrayEquals(new byte[3], keepTop(be, w, null, null, Ties.KEEP_ALL, scratch));
            assertThrows(IllegalArgumentException.class, () -> be.selects().kthLargest(Score.MAGNITUDE, w, null, null, 0, scratch));
            assertThrows(IllegalArgumentException.class, () -> be.selects().kthLargest(Score.SALIENCY, w, null, null, 1, scratch));
        }
    }

    @Test
    void keepTopUpdatesTheCandidateMaskInPlace() {
        try (CpuBackend be = new CpuBackend(2)) {
            float[] w = {5f, 1f, 4f, 2f, 3f, 6f};
            Tensor wt = tensor(be, w, 6);
            Tensor m = mask(be, new byte[]{1, 1, 1, 1, 1, 0});
            Tensor scratch = scratch(be, 6);
            // keep the 3 largest of the 5 still kept (torch's global_unstructured removing 2 of 5)
            be.selects().kthLargest(Score.MAGNITUDE, wt, null, m, 3, scratch);
            be.selects().keepTop(Score.MAGNITUDE, wt, null, m, Ties.LOWEST_INDEX_FIRST, scratch, m);
            assertArrayEquals(new byte[]{1, 0, 1, 0, 1, 0}, bytes(be, m));
        }
    }

    /**
     * The sampled one-pass route ({@link CpuSelectWindow}) gives the radix select's exact
     * selection on whole ranges, and hands back to it when its bracket cannot hold: on data
     * built to fool a systematic sample (a period equal to the sample's stride), on sorted
     * data, on massive ties and zeros, with NaN, at every k from 1 to n, on 1, 2 and 3 threads.
     */
    @Test
    void theSampledWindowFindsTheSameSelectionAsTheRadixPasses() {
        int n = 300_007;
        Random r = new Random(5);
        java.util.Map<String, float[]> cases = adversarialCases(r, n);
        float[] g = new float[n];
        for (int i = 0; i < n; i++) g[i] = r.nextInt(9) == 0 ? 1f : (float) r.nextGaussian();
        for (int threads : new int[]{1, 2, 3}) {
            try (CpuBackend be = new CpuBackend(threads)) {
                CpuSelectWindow window = ((CpuSelectOps) be.selects()).window;
                Tensor gt = tensor(be, g, n), scratch = scratch(be, n);
                for (var c : cases.entrySet()) {
                    Tensor wt = tensor(be, c.getValue(), n);
                    for (Score score : Score.values()) {
                        float[] s = scores(score, c.getValue(), g, null);
                        long nanCount = n - s.length;
                        for (long k : new long[]{1, 2, 1000, n / 20, n / 2, s.length - 1, s.length}) {
                            be.selects().kthLargest(score, wt, score == Score.SALIENCY ? gt : null, null, k, scratch);
                            Selection sel = be.selects().read(scratch);
                            float th = s[(int) (k - 1)];
                            long above = 0, eq = 0;
                            for (float x : s) {
                                if (x > th) above++;
                                else if (x == th) eq++;
                            }
                            String what = c.getKey() + ", " + score + ", k=" + k + ", threads=" + threads;
                            assertEquals(new Selection(th, above, eq, n, nanCount, k), sel, what);
                        }
                    }
                }
                assertTrue(window.hits > 0, "the window answered none of the selections");
                assertTrue(window.misses > 0, "the window never handed back, not even on all-equal scores or NaN");
            }
        }
    }

    @Test
    void theWindowAnswersGsmsSelectionOnGaussianWeightsWithoutFallingBack() {
        int n = 1 << 20;
        Random r = new Random(8);
        float[] w = new float[n], g = new float[n];
        for (int i = 0; i < n; i++) {
            w[i] = (float) r.nextGaussian();
            g[i] = (float) r.nextGaussian();
        }
        try (CpuBackend be = new CpuBackend(2)) {
            CpuSelectWindow window = ((CpuSelectOps) be.selects()).window;
            Tensor wt = tensor(be, w, n), gt = tensor(be, g, n), scratch = scratch(be, n);
            for (int step = 0; step < 20; step++) {
                for (int i = step; i < n; i += 97) g[i] = (float) r.nextGaussian();
                be.upload(MemorySegment.ofArray(g), gt);
                be.selects().kthLargest(Score.SALIENCY, wt, gt, null, n / 20, scratch);
            }
            assertEquals(20, window.hits, "k = 5% of N on gaussian scores must land inside the bracket every time");
            assertEquals(0, window.misses);
        }
    }

    /**
     * State left by one selection must not leak into the next: after a bracket overflow
     * (all-equal scores) the window answers again, and on a range the split gives to two of
     * three workers the idle one's counts from a larger range are not added.
     */
    @Test
    void aSelectionStartsFromCleanWorkersAfterAnOverflowAndOnAShorterRange() {
        int large = 1 << 20, small = 2 * CpuBackend.CHUNK;
        Random r = new Random(9);
        float[] big = new float[large], little = new float[small], flat = new float[large];
        for (int i = 0; i < large; i++) big[i] = (float) r.nextGaussian();
        for (int i = 0; i < small; i++) little[i] = (float) r.nextGaussian();
        Arrays.fill(flat, 2f);
        try (CpuBackend be = new CpuBackend(3)) {
            CpuSelectWindow window = ((CpuSelectOps) be.selects()).window;
            Tensor bigT = tensor(be, big, large), littleT = tensor(be, little, small), flatT = tensor(be, flat, large);
            Tensor scratch = scratch(be, large);
            be.selects().kthLargest(Score.MAGNITUDE, flatT, null, null, 1000, scratch);
            assertEquals(new Selection(2f, 0, large, large, 0, 1000), be.selects().read(scratch));
            long missesAfterFlat = window.misses;
            be.selects().kthLargest(Score.MAGNITUDE, bigT, null, null, large / 20, scratch);
            assertEquals(missesAfterFlat, window.misses, "an overflow must not make the next selection miss");
            long hitsBeforeSmall = window.hits;
            be.selects().kthLargest(Score.MAGNITUDE, littleT, null, null, small / 20, scratch);
            assertEquals(hitsBeforeSmall + 1, window.hits, "the idle worker's old counts made the shorter range miss");
            float[] s = scores(Score.MAGNITUDE, little, null, null);
            float th = s[small / 20 - 1];
            long above = 0;
            for (float x : s) if (x > th) above++;
            assertEquals(new Selection(th, above, small / 20 - above, small, 0, small / 20), be.selects().read(scratch));
        }
    }

    // ------------------------------------------------------------------ helpers

    /**
     * Weights that stress a sampled bracket, by name: gaussian, all equal, seven levels, sorted,
     * periodic at the sample's stride (the sample sees mostly one kind), 95% zeros, one NaN.
     */
    static java.util.Map<String, float[]> adversarialCases(Random r, int n) {
        java.util.Map<String, float[]> cases = new java.util.LinkedHashMap<>();
        float[] gauss = new float[n], equal = new float[n], levels = new float[n], sorted = new float[n],
                periodic = new float[n], zeros = new float[n], nan = new float[n];
        int stride = n / Math.max(1024, n >>> 8);
        for (int i = 0; i < n; i++) {
            gauss[i] = (float) r.nextGaussian();
            equal[i] = 0.75f;
            levels[i] = r.nextInt(7) * 0.25f - 0.5f;
            sorted[i] = i * 1e-3f;
            periodic[i] = i % stride == stride / 2 ? 100f + r.nextFloat() : r.nextFloat();   // the sample sees mostly one kind
            zeros[i] = r.nextInt(20) == 0 ? (float) r.nextGaussian() : 0f;
            nan[i] = i == n / 3 ? Float.NaN : (float) r.nextGaussian();
        }
        cases.put("gaussian", gauss);
        cases.put("all equal", equal);
        cases.put("seven levels", levels);
        cases.put("sorted", sorted);
        cases.put("periodic at the sample stride", periodic);
        cases.put("95% zeros", zeros);
        cases.put("one NaN", nan);
        return cases;
    }

    static Tensor scratch(CpuBackend be, long n) {
        return new Tensor(be.allocate(be.selects().scratchWords(n), "select scratch"), 0, (int) be.selects().scratchWords(n));
    }

    static Tensor mask(CpuBackend be, byte[] m) {
        Buffer b = be.allocate(DType.U8.wordsFor(m.length + 1) + 1, "mask");
        Tensor t = new Tensor(b, DType.U8, 1, m.length); // odd byte offset
        be.upload(MemorySegment.ofArray(m), t);
        return t;
    }

    static byte[] bytes(CpuBackend be, Tensor mask) {
        byte[] out = new byte[(int) mask.size()];
        be.download(mask, MemorySegment.ofArray(out));
        return out;
    }

    static byte[] keepTop(CpuBackend be, Tensor w, Tensor g, Tensor candidates, Ties ties, Tensor scratch) {
        return keepTop(be, g == null ? Score.MAGNITUDE : Score.SALIENCY, w, g, candidates, ties, scratch);
    }

    static byte[] keepTop(CpuBackend be, Score score, Tensor w, Tensor g, Tensor candidates, Ties ties, Tensor scratch) {
        Tensor out = mask(be, new byte[(int) w.size()]);
        be.selects().keepTop(score, w, g, candidates, ties, scratch, out);
        return bytes(be, out);
    }

    /** The candidates' non-NaN scores, largest first. */
    static float[] scores(Score score, float[] w, float[] g, byte[] cand) {
        List<Float> s = new ArrayList<>();
        for (int i = 0; i < w.length; i++) {
            if (cand != null && cand[i] == 0) continue;
            float x = score == Score.MAGNITUDE ? Math.abs(w[i]) : Math.abs(g[i] * w[i]);
            if (!Float.isNaN(x)) s.add(x);
        }
        float[] out = new float[s.size()];
        for (int i = 0; i < out.length; i++) out[i] = s.get(i);
        Arrays.sort(out);
        for (int i = 0; i < out.length / 2; i++) {
            float t = out[i];
            out[i] = out[out.length - 1 - i];
            out[out.length - 1 - i] = t;
        }
        return out;
    }

    static byte[] expectedExact(Score score, float[] w, float[] g, byte[] cand, float th, long tiesToKeep) {
        byte[] out = new byte[w.length];
        long kept = 0;
        for (int i = 0; i < w.length; i++) {
            if (cand != null && cand[i] == 0) continue;
            float x = score == Score.MAGNITUDE ? Math.abs(w[i]) : Math.abs(g[i] * w[i]);
            if (x > th) out[i] = 1;
            else if (x == th && kept < tiesToKeep) {
                out[i] = 1;
                kept++;
            }
        }
        return out;
    }

    static long count(byte[] m) {
        long c = 0;
        for (byte b : m) c += b != 0 ? 1 : 0;
        return c;
    }

    static long countNan(float[] w, byte[] cand) {
        long c = 0;
        for (int i = 0; i < w.length; i++) if (cand[i] != 0 && Float.isNaN(w[i])) c++;
        return c;
    }

    static long nanCandidates(CpuBackend be, Tensor w, Tensor cand, Tensor scratch) {
        be.selects().kthLargest(SelectOps.Score.MAGNITUDE, w, null, cand, 1, scratch);
        return be.selects().read(scratch).nan();
    }
}
