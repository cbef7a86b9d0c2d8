package io.sparsestep.optim;

import io.sparsestep.backend.cpu.CpuBackend;
import io.sparsestep.params.Mask;
import io.sparsestep.params.ParamGroup;
import io.sparsestep.params.ParamLayout;
import io.sparsestep.params.ParamSpace;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The prune between IMP rounds against a host reference written here (sort by |score|, the
 * lowest index kept among ties): exactly round_half_even(f x remaining) per layer or overall,
 * nested masks over rounds, (1 - f)^R after R rounds up to that rounding, seeded random scores,
 * and whole filters by their Ln norm with the classifier left alone.
 */
class ImpPruningTest {
    /** Three conv/linear-like weights of 12, 20 and 15 entries (the last is the classifier) and a bias. */
    private static final int[][] SHAPES = {{4, 3}, {5, 4}, {3, 5}};

    @Test
    void aLayerScopeRoundPrunesRoundHalfEvenOfEachLayersRemainingAndMasksStayNested() {
        try (Fixture f = new Fixture(SHAPES)) {
            Random r = new Random(3);
            float[] w = ties(r, f.n);
            f.setWeights(w);
            ImpRule rule = new ImpRule(ImpRule.Criterion.L1, ImpRule.Structure.UNSTRUCTURED, PruneScope.LAYER, 0.3, 1);
            ImpPruning.apply(f.space, f.mask, rule);
            byte[] first = f.mask.toHost();
            // 0.3 x 12 = 3.6 -> 4, 0.3 x 20 = 6, 0.3 x 15 = 4.5 -> 4 (half to even)
            assertArrayEquals(new long[]{8, 14, 11}, f.keptPerLayer(first));
            assertArrayEquals(reference(w, new byte[f.n], f.layers(), new long[]{4, 6, 4}), first);

            // the next round ranks other weights, and only among what is still kept
            float[] w2 = ties(r, f.n);
            f.setWeights(w2);
            ImpPruning.apply(f.space, f.mask, rule);
            byte[] second = f.mask.toHost();
            // 0.3 x 8 = 2.4 -> 2, 0.3 x 14 = 4.2 -> 4, 0.3 x 11 = 3.3 -> 3
            assertArrayEquals(new long[]{6, 10, 8}, f.keptPerLayer(second));
            for (int i = 0; i < f.n; i++) assertTrue(second[i] <= first[i], "entry " + i + " came back after being pruned");
            assertArrayEquals(reference(w2, pruned(first), f.layers(), new long[]{2, 4, 3}), second);
        }
    }

    @Test
    void aGlobalScopeRoundRanksAllWeightsTogether() {
        try (Fixture f = new Fixture(SHAPES)) {
            float[] w = ties(new Random(5), f.n);
            // make the first layer small so a global ranking takes more from it than a per-layer one would
            for (int i = 0; i < 12; i++) w[i] *= 0.01f;
            for (int i = 12; i < f.n; i++) if (w[i] == 0) w[i] = 0.25f;
            f.setWeights(w);
            ImpPruning.apply(f.space, f.mask, new ImpRule(ImpRule.Criterion.L1, ImpRule.Structure.UNSTRUCTURED, PruneScope.GLOBAL, 0.3, 1));
            byte[] m = f.mask.toHost();
            // 0.3 x 47 = 14.1 -> 14 overall
            assertEquals(47 - 14, count(m));
            assertArrayEquals(reference(w, new byte[f.n], List.of(new int[]{0, f.n}), new long[]{14}), m);
            assertEquals(0, f.keptPerLayer(m)[0], "the 12 small weights go first");
        }
    }

    @Test
    void afterRRoundsTheDensityIsOneMinusFToTheRUpToTheRounding() {
        try (Fixture f = new Fixture(new int[][]{{100, 100}})) {
            Random r = new Random(8);
            ImpRule rule = new ImpRule(ImpRule.Criterion.L1, ImpRule.Structure.UNSTRUCTURED, PruneScope.LAYER, 0.2, 1);
            // 10000 -> 8000 -> 6400 -> 5120 -> 4096 -> 4096 - round(819.2) = 3277
            long[] expected = {8000, 6400, 5120, 4096, 3277};
            for (int round = 1; round <= 5; round++) {
                f.setWeights(ties(r, f.n));
                ImpPruning.apply(f.space, f.mask, rule);
                long kept = f.mask.kept();
                assertEquals(expected[round - 1], kept, "round " + round);
                assertEquals(Math.pow(0.8, round), kept / 10000.0, round * 0.5 / 10000, "round " + round);
            }
        }
    }

    @Test
    void randomScoresAreReproduciblePerSeedAndRoundAndDifferAcrossThem() {
        try (Fixture f = new Fixture(SHAPES)) {
            ImpRule rule = new ImpRule(ImpRule.Criterion.RANDOM, ImpRule.Structure.UNSTRUCTURED, PruneScope.LAYER, 0.5, 1);
            byte[] a = randomMask(f, rule, 1, 1), again = randomMask(f, rule, 1, 1), otherSeed = randomMask(f, rule, 2, 1),
                    otherRound = randomMask(f, rule, 1, 2);
            assertArrayEquals(a, again);
            assertFalse(Arrays.equals(a, otherSeed), "seeds 1 and 2 drew the same mask");
            assertFalse(Arrays.equals(a, otherRound), "rounds 1 and 2 drew the same mask");
            // 6 of 12, 10 of 20, round(7.5) = 8 of 15 pruned: exactly torch's count, whatever the draw
            assertArrayEquals(new long[]{6, 10, 7}, f.keptPerLayer(a));
            assertArrayEquals(new long[]{6, 10, 7}, f.keptPerLayer(otherSeed));
            // the scores are Philox's uniform draws, so the mask is the reference ranking of them
            float[] u = new float[f.n];
            for (int i = 0; i < f.n; i++) u[i] = io.sparsestep.backend.Philox.uniform(1, i, 1, ImpPruning.RANDOM_STREAM);
            assertArrayEquals(reference(u, new byte[f.n], f.layers(), new long[]{6, 10, 8}), a);
        }
    }

    @Test
    void filtersArePrunedWholeByTheirLnNormAndTheClassifierIsLeftAlone() {
        try (Fixture f = new Fixture(new int[][]{{4, 3}, {3, 4}})) {
            // layer 0's rows: L1 norms 3, 4.5, 10, 6; L2 norms 3, 2.60, 7.07, 3.46
            float[] w = new float[f.n];
            float[][] rows = {{3, 0, 0}, {1.5f, 1.5f, -1.5f}, {-5, 5, 0}, {2, 2, -2}};
            for (int o = 0; o < 4; o++) System.arraycopy(rows[o], 0, w, 3 * o, 3);
            for (int i = 12; i < f.n; i++) w[i] = 0.001f * (i - 12); // the classifier, smallest of all and with a zero
            f.setWeights(w);
            ImpPruning.apply(f.space, f.mask, new ImpRule(ImpRule.Criterion.L1, ImpRule.Structure.FILTERS, PruneScope.LAYER, 0.5, 1));
            byte[] l1 = f.mask.toHost();
            // 0.5 x 4 = 2 filters: the L1-smallest rows 0 and 1
            assertArrayEquals(rowsKept(new boolean[]{false, false, true, true}, 3, 12), Arrays.copyOfRange(l1, 0, 12));
            for (int i = 12; i < f.n; i++) assertEquals(1, l1[i], "the classifier's entry " + i + " was pruned");

            // a quarter (one filter): by L2 row 1 (2.60) goes, by L1 row 0 (3)
            f.mask.keepAll();
            ImpPruning.apply(f.space, f.mask, new ImpRule(ImpRule.Criterion.L1, ImpRule.Structure.FILTERS, PruneScope.LAYER, 0.25, 2));
            assertArrayEquals(rowsKept(new boolean[]{true, false, true, true}, 3, 12), Arrays.copyOfRange(f.mask.toHost(), 0, 12));
            f.mask.keepAll();
            ImpPruning.apply(f.space, f.mask, new ImpRule(ImpRule.Criterion.L1, ImpRule.Structure.FILTERS, PruneScope.LAYER, 0.25, 1));
            assertArrayEquals(rowsKept(new boolean[]{false, true, true, true}, 3, 12), Arrays.copyOfRange(f.mask.toHost(), 0, 12));

            // iterated: the remaining count is the filters with anything kept, and a layer keeps a filter
            f.mask.keepAll();
            ImpRule most = new ImpRule(ImpRule.Criterion.L1, ImpRule.Structure.FILTERS, PruneScope.LAYER, 0.9, 1);
            ImpPruning.apply(f.space, f.mask, most); // round(3.6) = 4 of 4, capped at 3
            assertEquals(3, count(Arrays.copyOfRange(f.mask.toHost(), 0, 12)));
            ImpPruning.apply(f.space, f.mask, most); // 1 remaining: none more
            assertEquals(3, count(Arrays.copyOfRange(f.mask.toHost(), 0, 12)));
        }
    }

    @Test
    void l2RanksFiltersOtherwiseThanL1() {
        try (Fixture f = new Fixture(new int[][]{{2, 3}, {3, 2}})) {
            // row 0: L1 3, L2 3; row 1: L1 4.5, L2 2.60
            f.setWeights(new float[]{3, 0, 0, 1.5f, 1.5f, 1.5f, 1, 1, 1, 1, 1, 1});
            ImpPruning.apply(f.space, f.mask, new ImpRule(ImpRule.Criterion.L1, ImpRule.Structure.FILTERS, PruneScope.LAYER, 0.5, 1));
            assertArrayEquals(new byte[]{0, 0, 0, 1, 1, 1}, Arrays.copyOfRange(f.mask.toHost(), 0, 6));
            f.mask.keepAll();
            ImpPruning.apply(f.space, f.mask, new ImpRule(ImpRule.Criterion.L1, ImpRule.Structure.FILTERS, PruneScope.LAYER, 0.5, 2));
            assertArrayEquals(new byte[]{1, 1, 1, 0, 0, 0}, Arrays.copyOfRange(f.mask.toHost(), 0, 6));
        }
    }

    @Test
    void badRulesAreRefusedByOption() {
        assertTrue(refused(0, 1, PruneScope.LAYER, ImpRule.Structure.UNSTRUCTURED).startsWith("--fraction must be in (0, 1)"));
        assertTrue(refused(1, 1, PruneScope.LAYER, ImpRule.Structure.UNSTRUCTURED).startsWith("--fraction must be in (0, 1)"));
        assertTrue(refused(Double.NaN, 1, PruneScope.LAYER, ImpRule.Structure.UNSTRUCTURED).startsWith("--fraction must be in (0, 1)"));
        assertTrue(refused(0.5, 0, PruneScope.LAYER, ImpRule.Structure.FILTERS).startsWith("--norm must be a finite number > 0"));
        assertTrue(refused(0.5, 1, PruneScope.GLOBAL, ImpRule.Structure.FILTERS).startsWith("--structure filters ranks the filters within each layer"));
        assertEquals("--criterion must be l1 or random, got 'l2'",
                assertThrows(IllegalArgumentException.class, () -> ImpRule.Criterion.of("l2")).getMessage());
    }

    private static String refused(double fraction, double norm, PruneScope scope, ImpRule.Structure structure) {
        return assertThrows(IllegalArgumentException.class, () -> new ImpRule(ImpRule.Criterion.L1, structure, scope, fraction, norm)).getMessage();
    }

    private static byte[] randomMask(Fixture f, ImpRule rule, long seed, int round) {
        f.mask.keepAll();
        ImpPruning.writeRandomScores(f.space, seed, round);
        ImpPruning.apply(f.space, f.mask, rule);
        return f.mask.toHost();
    }

    /**
     * The expected mask: in each range [from, to), of the entries not in {@code before}'s pruned
     * set, keep all but the {@code prune[l]} smallest |w|, ranking |w| descending and, among
     * equal values, the lower index first (so the highest-indexed of a tie goes first).
     */
    private static byte[] reference(float[] w, byte[] prunedBefore, List<int[]> ranges, long[] prune) {
        byte[] out = new byte[w.length];
        for (int l = 0; l < ranges.size(); l++) {
            List<Integer> kept = new ArrayList<>();
            for (int i = ranges.get(l)[0]; i < ranges.get(l)[1]; i++) if (prunedBefore[i] == 0) kept.add(i);
            kept.sort(Comparator.<Integer>comparingDouble(i -> -Math.abs(w[i])).thenComparingInt(i -> i));
            for (int j = 0; j < kept.size() - prune[l]; j++) out[kept.get(j)] = 1;
        }
        return out;
    }

    private static byte[] pruned(byte[] mask) {
        byte[] out = new byte[mask.length];
        for (int i = 0; i < mask.length; i++) out[i] = (byte) (mask[i] == 0 ? 1 : 0);
        return out;
    }

    private static byte[] rowsKept(boolean[] rows, int per, int n) {
        byte[] out = new byte[n];
        for (int o = 0; o < rows.length; o++) if (rows[o]) Arrays.fill(out, o * per, (o + 1) * per, (byte) 1);
        return out;
    }

    /** Gaussian values rounded to a coarse grid, so ties (also across signs) are common. */
    private static float[] ties(Random r, int n) {
        float[] w = new float[n];
        for (int i = 0; i < n; i++) w[i] = Math.round(r.nextGaussian() * 4) / 4f;
        return w;
    }

    private static long count(byte[] m) {
        long c = 0;
        for (byte b : m) c += b != 0 ? 1 : 0;
        return c;
    }

    /** Weight tensors of the given shapes ("l0.weight", ...) and a bias, on the CPU, with a mask over them. */
    private static final class Fixture implements AutoCloseable {
        final CpuBackend be = new CpuBackend(2);
        final ParamSpace space;
        final Mask mask;
        final int[] sizes;
        final int n;

        Fixture(int[][] shapes) {
            List<ParamLayout.Declared> d = new ArrayList<>();
            sizes = new int[shapes.length];
            int total = 0;
            for (int i = 0; i < shapes.length; i++) {
                d.add(new ParamLayout.Declared("l" + i + ".weight", shapes[i], ParamGroup.WEIGHTS));
                sizes[i] = Arrays.stream(shapes[i]).reduce(1, (a, b) -> a * b);
                total += sizes[i];
            }
            d.add(new ParamLayout.Declared("b", new int[]{3}, ParamGroup.BIAS_AND_NORM));
            n = total;
            space = ParamSpace.allocate(be, ParamLayout.of(d));
            mask = Mask.keepingAll(space, "test.mask");
        }

        void setWeights(float[] w) { be.upload(MemorySegment.ofArray(w), space.values().group(ParamGroup.WEIGHTS)); }

        List<int[]> layers() {
            List<int[]> out = new ArrayList<>();
            int from = 0;
            for (int s : sizes) {
                out.add(new int[]{from, from + s});
                from += s;
            }
            return out;
        }

        long[] keptPerLayer(byte[] m) {
            List<int[]> ranges = layers();
            long[] out = new long[ranges.size()];
            for (int l = 0; l < out.length; l++) out[l] = count(Arrays.copyOfRange(m, ranges.get(l)[0], ranges.get(l)[1]));
            return out;
        }

        @Override
        public void close() {
            mask.close();
            space.close();
            be.close();
        }
    }
}
