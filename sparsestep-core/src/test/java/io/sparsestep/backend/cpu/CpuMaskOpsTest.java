package io.sparsestep.backend.cpu;

import io.sparsestep.backend.Buffer;
import io.sparsestep.backend.DType;
import io.sparsestep.backend.Philox;
import io.sparsestep.backend.Tensor;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.util.Random;

import static io.sparsestep.backend.cpu.CpuTestSupport.read;
import static io.sparsestep.backend.cpu.CpuTestSupport.tensor;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link CpuMaskOps}: the tie rule, NaN kept, pruned entries +0.0, counts, and views at odd
 * byte offsets; DropPruning's move entry by entry against the rule and the Philox draws,
 * its two limits (p = 1, q = 0 is magnitude pruning of the candidates; p = 0, q = 1 restores
 * everything), binomial counts, and the element index being global (split ranges, chunks).
 */
class CpuMaskOpsTest {
    @Test
    void masksFollowTheTieRuleKeepNanAndWritePositiveZero() {
        try (CpuBackend be = new CpuBackend(2)) {
            float[] w = {0.5f, -0.5f, 0.25f, -0.25f, Float.NaN, -0.1f, 0f, 3f, -2f};
            Tensor wt = tensor(be, w, w.length);
            Buffer maskBuffer = be.allocate(4, "mask");
            Tensor mask = new Tensor(maskBuffer, DType.U8, 3, w.length); // byte offset 3: not word aligned
            be.masks().fromMagnitude(wt, 0.25f, mask);
            byte[] m = new byte[w.length];
            be.download(mask, MemorySegment.ofArray(m));
            // |w| == 0.25 is pruned (ties go to pruned), NaN is kept
            assertArrayEquals(new byte[] {1, 1, 0, 0, 1, 0, 0, 1, 1}, m);
            assertEquals(5, be.masks().countKept(mask));
            be.masks().apply(mask, wt);
            float[] out = read(be, wt);
            float[] want = {0.5f, -0.5f, 0f, 0f, Float.NaN, 0f, 0f, 3f, -2f};
            for (int i = 0; i < w.length; i++) {
                assertEquals(Float.floatToRawIntBits(want[i]), Float.floatToRawIntBits(out[i]), "entry " + i + " (pruned -0.25 must be +0.0)");
            }
        }
    }

    @Test
    void anyNonZeroByteKeepsAndLargeMasksCountAcrossChunks() {
        try (CpuBackend be = new CpuBackend(2)) {
            int n = 2 * CpuBackend.CHUNK + 11;
            byte[] m = new byte[n];
            long kept = 0;
            for (int i = 0; i < n; i++) {
                m[i] = (byte) (i % 3 == 0 ? 0 : i % 3 == 1 ? 1 : -1);
                kept += m[i] != 0 ? 1 : 0;
            }
            Buffer b = be.allocate(DType.U8.wordsFor(n), "mask");
            Tensor mask = new Tensor(b, DType.U8, 0, n);
            be.upload(MemorySegment.ofArray(m), mask);
            assertEquals(kept, be.masks().countKept(mask));
            float[] ones = new float[n];
            java.util.Arrays.fill(ones, 1f);
            Tensor x = tensor(be, ones, n);
            be.masks().apply(mask, x);
            float[] out = read(be, x);
            for (int i = 0; i < n; i++) assertEquals(m[i] != 0 ? 1f : 0f, out[i], "entry " + i);
        }
    }

    @Test
    void aFloatViewIsNotAMaskAndSizesMustMatch() {
        try (CpuBackend be = new CpuBackend(1)) {
            Tensor w = tensor(be, new float[8], 8);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> be.masks().countKept(w));
            assertEquals(true, e.getMessage().contains("holds F32; this op takes U8"), e.getMessage());
            Tensor mask = new Tensor(be.allocate(1, "m"), DType.U8, 0, 4);
            assertThrows(IllegalArgumentException.class, () -> be.masks().apply(mask, w));
        }
    }

    // ------------------------------------------------------------------ dropStep

    /** A DropPruning fixture: weights, mask (about 60% kept), survivors (half of the kept), saved weights; u8 views at odd byte offsets. */
    private record Drop(float[] w, byte[] mask, byte[] survivors, float[] saved) {
        static Drop random(Random r, int n) {
            Drop d = new Drop(CpuTestSupport.random(r, n), new byte[n], new byte[n], CpuTestSupport.random(r, n));
            for (int i = 0; i < n; i++) {
                d.mask[i] = r.nextInt(5) < 3 ? (byte) (r.nextBoolean() ? 1 : 7) : 0;
                d.survivors[i] = (byte) (r.nextBoolean() ? 1 : 0);
            }
            return d;
        }

        /** Runs the move on {@code be} over views of copies of this fixture; returns the result. */
        Drop run(CpuBackend be, boolean withSaved, long seed, long round, long indexBase, float p, float q) {
            int n = w.length;
            Tensor tw = tensor(be, w, n), tm = bytes(be, mask, 1), ts = bytes(be, survivors, 3), tv = withSaved ? tensor(be, saved, n) : null;
            be.masks().dropStep(tw, tm, ts, tv, seed, round, indexBase, p, q);
            return new Drop(read(be, tw), download(be, tm), download(be, ts), withSaved ? read(be, tv) : saved.clone());
        }
    }

    private static Tensor bytes(CpuBackend be, byte[] data, int offset) {
        Tensor t = new Tensor(be.allocate(DType.U8.wordsFor(data.length + offset) + 1, "bytes"), DType.U8, offset, data.length);
        be.upload(MemorySegment.ofArray(data), t);
        return t;
    }

    private static byte[] download(CpuBackend be, Tensor t) {
        byte[] out = new byte[(int) t.size()];
        be.download(t, MemorySegment.ofArray(out));
        return out;
    }

    /**
     * Every entry as the rule says: a kept non-survivor is dropped iff Philox.uniform(stream 0)
     * < p (its value saved, w +0.0, mask 0); a pruned entry returns iff uniform(stream 1) < q
     * (w = its saved value, or +0.0 without a saved buffer); nothing else changes. Seed,
     * round and element index carry high words, so the whole counter takes part.
     */
    @Test
    void dropStepFollowsTheRuleEntryByEntryWithPhiloxDraws() {
        long seed = 0xC0FFEE_1234_5678L, round = 0x1_0000_0002L, base = 0x2_FFFF_FF00L;
        float p = 0.4f, q = 0.25f;
        int n = 5000;
        Drop before = Drop.random(new Random(3), n);
        try (CpuBackend be = new CpuBackend(2)) {
            for (boolean withSaved : new boolean[]{true, false}) {
                Drop after = before.run(be, withSaved, seed, round, base, p, q);
                int dropped = 0, restored = 0;
                for (int i = 0; i < n; i++) {
                    boolean kept = before.mask[i] != 0;
                    boolean drop = kept && before.survivors[i] == 0 && Philox.uniform(seed, base + i, round, 0) < p;
                    boolean back = !kept && Philox.uniform(seed, base + i, round, 1) < q;
                    byte wantMask = drop ? 0 : back ? 1 : before.mask[i];
                    float wantW = drop ? 0f : back ? (withSaved ? before.saved[i] : 0f) : before.w[i];
                    float wantSaved = drop && withSaved ? before.w[i] : before.saved[i];
                    assertEquals(wantMask, after.mask[i], "mask " + i);
                    assertEquals(Float.floatToRawIntBits(wantW), Float.floatToRawIntBits(after.w[i]), "w " + i + " (a drop writes +0.0)");
                    assertEquals(Float.floatToRawIntBits(wantSaved), Float.floatToRawIntBits(after.saved[i]), "saved " + i);
                    dropped += drop ? 1 : 0;
                    restored += back ? 1 : 0;
                }
                assertArrayEquals(before.survivors, after.survivors, "survivors are read only");
                assertTrue(dropped > 100 && restored > 100, "both moves happen: " + dropped + " dropped, " + restored + " restored");
            }
        }
    }

    /** p = 1, q = 0 is magnitude pruning of the candidates (every kept non-survivor goes, nothing returns); p = 0, q = 1 restores every pruned entry. */
    @Test
    void dropStepLimitsArePruningAndFullRestore() {
        int n = 3001;
        Drop before = Drop.random(new Random(4), n);
        try (CpuBackend be = new CpuBackend(2)) {
            Drop prune = before.run(be, true, 9, 0, 0, 1f, 0f);
            Drop restore = before.run(be, true, 9, 0, 0, 0f, 1f);
            for (int i = 0; i < n; i++) {
                boolean kept = before.mask[i] != 0;
                assertEquals(kept && before.survivors[i] != 0 ? before.mask[i] : 0, prune.mask[i], "p=1 q=0 mask " + i);
                assertEquals(kept ? before.mask[i] : 1, restore.mask[i], "p=0 q=1 mask " + i);
                assertEquals(kept ? before.w[i] : before.saved[i], restore.w[i], "p=0 q=1 restores the saved value " + i);
            }
        }
    }

    /**
     * The counts follow the binomial of ALGORITHMS.md 7: drops among the C candidates ~ B(C, p),
     * returns among the P pruned ~ B(P, q), each within 5 standard deviations, at two rates
     * and over the backend's chunks.
     */
    @Test
    void dropStepCountsAreBinomial() {
        int n = 3 * CpuBackend.CHUNK + 17;
        Drop before = Drop.random(new Random(5), n);
        long candidates = 0, pruned = 0;
        for (int i = 0; i < n; i++) {
            if (before.mask[i] == 0) pruned++;
            else if (before.survivors[i] == 0) candidates++;
        }
        try (CpuBackend be = new CpuBackend(2)) {
            for (float[] pq : new float[][]{{0.3f, 0.05f}, {0.9f, 0.5f}}) {
                Drop after = before.run(be, false, 77, 3, 0, pq[0], pq[1]);
                long dropped = 0, restored = 0;
                for (int i = 0; i < n; i++) {
                    if (before.mask[i] != 0 && after.mask[i] == 0) dropped++;
                    if (before.mask[i] == 0 && after.mask[i] != 0) restored++;
                }
                assertBinomial(dropped, candidates, pq[0], "dropped");
                assertBinomial(restored, pruned, pq[1], "restored");
            }
        }
    }

    private static void assertBinomial(long count, long trials, double prob, String what) {
        double mean = trials * prob, sd = Math.sqrt(trials * prob * (1 - prob));
        assertTrue(Math.abs(count - mean) <= 5 * sd, what + " " + count + " of " + trials + " at " + prob + ": mean " + mean + ", sd " + sd);
    }

    /**
     * The draw belongs to the element's global index: one move over [0, n) equals two moves
     * over the halves with indexBase 0 and n/2, and any number of workers gives the same
     * result; another round draws other numbers.
     */
    @Test
    void dropStepIndexIsGlobalAndChunkingChangesNothing() {
        int n = 2 * CpuBackend.CHUNK + 5, half = n / 2;
        Drop before = Drop.random(new Random(6), n);
        try (CpuBackend one = new CpuBackend(1); CpuBackend three = new CpuBackend(3)) {
            Drop whole = before.run(one, true, 11, 2, 0, 0.5f, 0.5f);
            Drop threads = before.run(three, true, 11, 2, 0, 0.5f, 0.5f);
            assertArrayEquals(whole.mask, threads.mask);
            assertArrayEquals(whole.w, threads.w);
            Drop lo = new Drop(java.util.Arrays.copyOfRange(before.w, 0, half), java.util.Arrays.copyOfRange(before.mask, 0, half),
                    java.util.Arrays.copyOfRange(before.survivors, 0, half), java.util.Arrays.copyOfRange(before.saved, 0, half)).run(one, true, 11, 2, 0, 0.5f, 0.5f);
            Drop hi = new Drop(java.util.Arrays.copyOfRange(before.w, half, n), java.util.Arrays.copyOfRange(before.mask, half, n),
                    java.util.Arrays.copyOfRange(before.survivors, half, n), java.util.Arrays.copyOfRange(before.saved, half, n)).run(one, true, 11, 2, half, 0.5f, 0.5f);
            for (int i = 0; i < n; i++) {
                byte got = i < half ? lo.mask[i] : hi.mask[i - half];
                assertEquals(whole.mask[i], got, "split at " + half + ", entry " + i);
            }
            Drop otherRound = before.run(one, true, 11, 3, 0, 0.5f, 0.5f);
            assertTrue(!java.util.Arrays.equals(whole.mask, otherRound.mask), "round 3 draws other numbers than round 2");
        }
    }

    @Test
    void dropStepRefusesBadRatesAndMismatchedViewsWithOneLine() {
        try (CpuBackend be = new CpuBackend(2)) {
            Tensor w = CpuTestSupport.zeros(be, 8), m = bytes(be, new byte[8], 0), s8 = bytes(be, new byte[8], 0);
            for (float[] pq : new float[][]{{Float.NaN, 0f}, {1.5f, 0f}, {0f, -0.1f}}) {
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                        () -> be.masks().dropStep(w, m, s8, null, 1, 0, 0, pq[0], pq[1]));
                assertTrue(e.getMessage().startsWith("mask dropStep: probabilities must be in [0, 1]"), e.getMessage());
            }
            IllegalArgumentException base = assertThrows(IllegalArgumentException.class, () -> be.masks().dropStep(w, m, s8, null, 1, 0, -1, 0f, 0f));
            assertTrue(base.getMessage().contains("indexBase must be >= 0"), base.getMessage());
            assertThrows(IllegalArgumentException.class, () -> be.masks().dropStep(w, m, bytes(be, new byte[7], 0), null, 1, 0, 0, 0f, 0f));
            assertThrows(IllegalArgumentException.class, () -> be.masks().dropStep(w, m, s8, CpuTestSupport.zeros(be, 9), 1, 0, 0, 0f, 0f));
        }
    }
}
