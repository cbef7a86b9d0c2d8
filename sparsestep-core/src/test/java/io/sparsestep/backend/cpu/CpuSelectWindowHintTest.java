package io.sparsestep.backend.cpu;

import io.sparsestep.backend.SelectOps.Score;
import io.sparsestep.backend.SelectOps.Selection;
import io.sparsestep.backend.Tensor;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

import static io.sparsestep.backend.cpu.CpuSelectOpsTest.scores;
import static io.sparsestep.backend.cpu.CpuSelectOpsTest.scratch;
import static io.sparsestep.backend.cpu.CpuTestSupport.tensor;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link CpuSelectWindow}'s hint route against a sort: a repeat of the last answered (n, k),
 * as GSM's every step is, tries the last bracket moved to the last threshold before it samples.
 * The hint may only change how fast the answer comes, so every selection here, hinted or not,
 * must equal the sort's threshold and counts: on {@link CpuSelectOpsTest#adversarialCases}, a tie
 * group at the 5% point, and each of them after its threshold moved, at k from 1 to n, on 1, 2 and 3 threads (pieces
 * handed to whichever worker is free, so each thread count also checks that the answer does not
 * depend on who took which piece); and with planted wrong hints (far above, far below, a NaN
 * threshold, bounds the wrong way round, buffers too small, another k), which must miss and
 * fall back. Also that the hint really answers GSM-like repeats and that a steady hinted call
 * allocates no buffers.
 */
class CpuSelectWindowHintTest {
    private static final int N = 3 * CpuBackend.CHUNK + 37;

    @Test
    void repeatedAndMovingSelectionsMatchASortWithAndWithoutTheHint() {
        Random r = new Random(31);
        Map<String, float[]> cases = CpuSelectOpsTest.adversarialCases(r, N);
        float[] ties = new float[N];
        for (int i = 0; i < N; i++) ties[i] = i % 50 == 0 ? 1.959964f : (float) r.nextGaussian();   // 2% tied at about the 5% point
        cases.put("ties at the 5% point", ties);
        float[] g = new float[N];
        for (int i = 0; i < N; i++) g[i] = r.nextInt(9) == 0 ? 1f : (float) r.nextGaussian();
        // each case's scores sorted once, as given and after a third of the weights moved up by 2%
        Map<String, float[]> movedCases = new LinkedHashMap<>();
        Map<String, float[][]> sortedScores = new LinkedHashMap<>();
        for (var c : cases.entrySet()) {
            float[] moved = c.getValue().clone();
            for (int i = 0; i < N; i += 3) moved[i] *= 1.02f;
            movedCases.put(c.getKey(), moved);
            float[][] sorted = new float[4][];
            for (Score score : Score.values()) {
                sorted[2 * score.ordinal()] = scores(score, c.getValue(), g, null);
                sorted[2 * score.ordinal() + 1] = scores(score, moved, g, null);
            }
            sortedScores.put(c.getKey(), sorted);
        }
        for (int threads = 1; threads <= 3; threads++) {
            try (CpuBackend be = new CpuBackend(threads)) {
                CpuSelectWindow window = ((CpuSelectOps) be.selects()).window;
                Tensor gt = tensor(be, g, N), scratch = scratch(be, N);
                for (var c : cases.entrySet()) {
                    Tensor wt = tensor(be, c.getValue(), N), movedT = tensor(be, movedCases.get(c.getKey()), N);
                    float[][] sorted = sortedScores.get(c.getKey());
                    for (Score score : Score.values()) {
                        for (long k : new long[]{1, 2, 1000, N / 20, N / 2, N - 1, N}) {
                            // the same selection three times (the second and third hinted), then after the scores moved
                            for (int call = 0; call < 4; call++) {
                                be.selects().kthLargest(score, call == 3 ? movedT : wt, score == Score.SALIENCY ? gt : null, null, k, scratch);
                                String what = c.getKey() + ", " + score + ", k=" + k + ", call " + call + ", threads=" + threads;
                                float[] want = sorted[2 * score.ordinal() + (call == 3 ? 1 : 0)];
                                assertEquals(expected(want, k, N), be.selects().read(scratch), what);
                            }
                        }
                    }
                }
                assertTrue(window.hintHits > 0, "no repeated selection was answered by its hint");
                assertTrue(window.misses > 0, "nothing fell back, not even all-equal scores or the NaN");
            }
        }
    }

    @Test
    void wrongHintsMissAndTheSampleAnswersExactly() {
        Random r = new Random(32);
        float[] w = gaussian(r, N), g = gaussian(r, N);
        long k = N / 20;
        Selection want = expected(scores(Score.SALIENCY, w, g, null), k, N);
        int th = Float.floatToRawIntBits(want.threshold());
        int nanBits = Float.floatToRawIntBits(Float.NaN);
        // bits, below, above, share: each a bracket that cannot hold the k-th largest, or one whose buffers are too small
        int[][] wrong = {
                {Float.floatToRawIntBits(1e30f), 1000, 1000},          // far above: k lies below it
                {Float.floatToRawIntBits(1e-30f), 1000, 1000},         // far below: k lies above it
                {nanBits, 1 << 20, 1 << 20},                           // a NaN threshold: clamped to +inf's bits
                {th, -4000, -4000},                                    // bounds the wrong way round
                {th + 3, 0, 0},                                        // a bracket of one value that is not the threshold
        };
        for (int threads = 1; threads <= 3; threads++) {
            try (CpuBackend be = new CpuBackend(threads)) {
                CpuSelectWindow window = ((CpuSelectOps) be.selects()).window;
                Tensor wt = tensor(be, w, N), gt = tensor(be, g, N), scratch = scratch(be, N);
                // first, while the buffers are new: the right bracket but buffers sized for almost nothing; they overflow, and the sample re-sizes them
                window.hint(N, k, th, 1 << 16, 1 << 16, 1e-9);
                assertAnswered(be, window, wt, gt, k, scratch, want, "undersized hint buffers, threads " + threads);
                for (int[] h : wrong) {
                    window.hint(N, k, h[0], h[1], h[2], 0.05);
                    assertAnswered(be, window, wt, gt, k, scratch, want, "hint bits " + Integer.toHexString(h[0]) + ", threads " + threads);
                }
                // a hint for another k is not used at all
                window.hint(N, k + 1, th, 0, 0, 0.05);
                long hintMisses = window.hintMisses, hintHits = window.hintHits;
                be.selects().kthLargest(Score.SALIENCY, wt, gt, null, k, scratch);
                assertEquals(want, be.selects().read(scratch));
                assertEquals(hintMisses, window.hintMisses, "a hint for another k was tried");
                assertEquals(hintHits, window.hintHits);
                // the answered selection left its own hint: the repeat is answered by it
                be.selects().kthLargest(Score.SALIENCY, wt, gt, null, k, scratch);
                assertEquals(want, be.selects().read(scratch));
                assertEquals(hintHits + 1, window.hintHits, "the repeat of an answered selection did not use its hint");
            }
        }
    }

    /** A wrong hint must miss, and the sampled bracket then answer (not the radix fallback), with the sort's selection. */
    private static void assertAnswered(CpuBackend be, CpuSelectWindow window, Tensor w, Tensor g, long k, Tensor scratch, Selection want,
                                       String what) {
        long hintMisses = window.hintMisses, hits = window.hits, misses = window.misses;
        be.selects().kthLargest(Score.SALIENCY, w, g, null, k, scratch);
        assertEquals(want, be.selects().read(scratch), what);
        assertEquals(hintMisses + 1, window.hintMisses, what + ": the wrong hint did not miss");
        assertEquals(hits + 1, window.hits, what + ": the sample did not answer after the miss");
        assertEquals(misses, window.misses, what);
    }

    /**
     * GSM's selection over 40 steps of a drifting gradient (each step redraws a tenth of g and
     * scales w a little): every step equals the sort, and after the first (sampled) step the
     * hint answers nearly all of them.
     */
    @Test
    void theHintAnswersGsmsStepsAsTheThresholdDrifts() {
        int n = 1 << 18, steps = 40;
        Random r = new Random(33);
        float[] w = gaussian(r, n), g = gaussian(r, n);
        for (int threads = 1; threads <= 3; threads++) {
            try (CpuBackend be = new CpuBackend(threads)) {
                CpuSelectWindow window = ((CpuSelectOps) be.selects()).window;
                Tensor wt = tensor(be, w.clone(), n), gt = tensor(be, g.clone(), n), scratch = scratch(be, n);
                float[] ws = w.clone(), gs = g.clone();
                for (int step = 0; step < steps; step++) {
                    for (int i = step % 10; i < n; i += 10) gs[i] = (float) r.nextGaussian();
                    for (int i = 0; i < n; i++) ws[i] *= 0.999f;
                    be.upload(MemorySegment.ofArray(ws), wt);
                    be.upload(MemorySegment.ofArray(gs), gt);
                    be.selects().kthLargest(Score.SALIENCY, wt, gt, null, n / 20, scratch);
                    assertEquals(expected(scores(Score.SALIENCY, ws, gs, null), n / 20, n), be.selects().read(scratch), "step " + step);
                }
                assertEquals(steps, window.hits);
                assertTrue(window.hintHits >= steps - 3, "the hint answered only " + window.hintHits + " of " + (steps - 1) + " repeats");
            }
        }
    }

    /** Steady hinted selections of 1M entries allocate no buffers (a few hundred bytes of views and lambdas per call at most). */
    @Test
    void aSteadyHintedSelectionAllocatesNoBuffers() {
        int n = 1 << 20;
        Random r = new Random(34);
        float[] w = gaussian(r, n), g = gaussian(r, n);
        var mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        for (int threads = 1; threads <= 2; threads++) {
            try (CpuBackend be = new CpuBackend(threads)) {
                CpuSelectWindow window = ((CpuSelectOps) be.selects()).window;
                Tensor wt = tensor(be, w, n), gt = tensor(be, g, n), scratch = scratch(be, n);
                // until the JIT has compiled the vector loops (before that every vector is an object), at most 40 rounds
                be.selects().kthLargest(Score.SALIENCY, wt, gt, null, n / 20, scratch);   // sampled: it leaves the hint
                int calls = 50;
                long perCall = Long.MAX_VALUE;
                for (int round = 0; round < 40 && perCall >= 1024; round++) {
                    long hintHits = window.hintHits, before = mx.getCurrentThreadAllocatedBytes();
                    for (int i = 0; i < calls; i++) be.selects().kthLargest(Score.SALIENCY, wt, gt, null, n / 20, scratch);
                    perCall = (mx.getCurrentThreadAllocatedBytes() - before) / calls;
                    assertEquals(hintHits + calls, window.hintHits, "the steady selections were not all hinted");
                }
                assertTrue(perCall < 1024, perCall + " B per hinted selection on " + threads + " threads: a buffer is allocated per call");
            }
        }
    }

    private static float[] gaussian(Random r, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) r.nextGaussian();
        return x;
    }

    /** The sort's selection of k of n entries: the k-th largest non-NaN score and the counts above and equal to it. */
    private static Selection expected(float[] sortedDescending, long k, long n) {
        long nan = n - sortedDescending.length;
        if (k > sortedDescending.length) return new Selection(Float.NaN, 0, 0, n, nan, k);
        float th = sortedDescending[(int) (k - 1)];
        long above = 0, eq = 0;
        for (float x : sortedDescending) {
            if (x > th) above++;
            else if (x == th) eq++;
        }
        return new Selection(th, above, eq, n, nan, k);
    }
}
