package io.sparsestep.backend.cpu;

import io.sparsestep.backend.SelectOps.Score;
import io.sparsestep.backend.SelectOps.Selection;
import io.sparsestep.backend.Tensor;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.function.IntUnaryOperator;

import static io.sparsestep.backend.cpu.CpuSelectOpsTest.scores;
import static io.sparsestep.backend.cpu.CpuSelectOpsTest.scratch;
import static io.sparsestep.backend.cpu.CpuTestSupport.tensor;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link CpuSelectWindow}'s last stage against a sort: the scores copied inside the bracket are
 * counted into 2048 buckets by their offset above the lower bound, and only the threshold's
 * bucket is gathered and selected exactly, sorted when it holds at most
 * {@link CpuSelectWindow#SORT_MAX} scores and radix selected when it holds more. The data put
 * the k-th largest inside a tie group larger than SORT_MAX, at the first and the last rank of
 * a tie (where the bucket walk stops on a bucket whose count equals what is left to find), and
 * on a grid coarse enough that each bucket holds one value; every selection must be answered by
 * the window (none handed back), on 1, 2 and 3 threads, for both scores. Also the radix sort
 * the window sorts its sample and small buckets with.
 */
class CpuSelectWindowBucketsTest {
    private static final int N = 300_007;

    @Test
    void theThresholdsBucketGivesTheSortsSelectionOnTiesAndGrids() {
        Random r = new Random(21);
        float tie = 1.959964f;
        float[] tieGroup = new float[N], grid = new float[N], g = new float[N];
        for (int i = 0; i < N; i++) {
            float x = (float) r.nextGaussian();
            // 3,000 exact ties at about the 5% point of |x|, spread evenly over the range (every worker's piece holds some)
            tieGroup[i] = i % 100 == 0 ? (r.nextBoolean() ? tie : -tie) : x;
            grid[i] = Math.round(x * 64) / 64f;
            g[i] = r.nextBoolean() ? 1f : -1f;   // |g*w| = |w| exactly, through the saliency route
        }
        long[] tieRanks = tieRanks(scores(Score.MAGNITUDE, tieGroup, null, null), tie);
        long[] gridRanks = tieRanks(scores(Score.MAGNITUDE, grid, null, null), 2f);
        for (int threads = 1; threads <= 3; threads++) {
            try (CpuBackend be = new CpuBackend(threads)) {
                CpuSelectWindow window = ((CpuSelectOps) be.selects()).window;
                Tensor gt = tensor(be, g, N), scratch = scratch(be, N);
                long calls = 0;
                for (float[] w : new float[][]{tieGroup, grid}) {
                    long[] ranks = w == tieGroup ? tieRanks : gridRanks;
                    Tensor wt = tensor(be, w, N);
                    for (Score score : Score.values()) {
                        float[] s = scores(score, w, g, null);
                        for (long k : new long[]{ranks[0] - 1, ranks[0], ranks[0] + 1, ranks[1] - 1, ranks[1], ranks[1] + 1, N / 20}) {
                            be.selects().kthLargest(score, wt, score == Score.SALIENCY ? gt : null, null, k, scratch);
                            calls++;
                            String what = (w == tieGroup ? "tie group" : "grid") + ", " + score + ", k=" + k + ", threads=" + threads;
                            assertEquals(expected(s, k), be.selects().read(scratch), what);
                        }
                    }
                }
                assertEquals(calls, window.hits, "every selection here lies well inside the bracket: the window must answer it");
                assertEquals(0, window.misses);
                assertTrue(window.sortedBuckets > 0, "no threshold bucket was small enough to sort");
                assertTrue(window.radixBuckets > 0, "the 3,000-way tie never made a bucket too large to sort");
            }
        }
    }

    /**
     * The window's sort of the sample and of a small bucket (an LSD radix sort by bytes that
     * skips a byte every entry shares) against Arrays.sort: random non-negative bits, all
     * equal, already sorted, reversed, only the low byte varying, only the top byte varying,
     * the extremes 0 and +inf's bits, and the sizes 0, 1, 2, 1023 and 16384.
     */
    @Test
    void theRadixSortOfScoreBitsMatchesArraysSort() {
        Random r = new Random(4);
        int max = 1 << 14;
        int[] buffer = new int[max], counts = new int[1024];
        List<IntUnaryOperator> kinds = List.of(
                i -> r.nextInt() >>> 1, i -> 0x3f000000, i -> i * 131, i -> Integer.MAX_VALUE - i * 131,
                i -> 0x3f123400 | r.nextInt(256), i -> r.nextInt(128) << 24 | 0x00abcdef, i -> r.nextBoolean() ? 0 : 0x7f800000);
        for (int m : new int[]{0, 1, 2, 1023, max}) {
            for (int kind = 0; kind < kinds.size(); kind++) {
                int[] a = new int[m];
                for (int i = 0; i < m; i++) a[i] = kinds.get(kind).applyAsInt(i);
                int[] expected = a.clone();
                Arrays.sort(expected);
                CpuSelectWindow.sortBits(a, m, buffer, counts);
                assertArrayEquals(expected, a, "kind " + kind + ", m=" + m);
            }
        }
    }

    /** The first and last rank (1 = largest) of the value v among scores sorted largest first. */
    private static long[] tieRanks(float[] s, float v) {
        long first = 0, last = 0;
        for (int i = 0; i < s.length; i++) {
            if (s[i] == v) {
                if (first == 0) first = i + 1;
                last = i + 1;
            }
        }
        assertTrue(last - first > CpuSelectWindow.SORT_MAX || v != 1.959964f, "the tie group must outgrow a sorted bucket");
        assertTrue(first > 0, "value " + v + " is not among the scores");
        return new long[]{first, last};
    }

    /** The selection a sort gives for the k-th largest of s (sorted largest first, no NaN). */
    private static Selection expected(float[] s, long k) {
        float th = s[(int) (k - 1)];
        long above = 0, equal = 0;
        for (float x : s) {
            if (x > th) above++;
            else if (x == th) equal++;
        }
        return new Selection(th, above, equal, N, 0, k);
    }
}
