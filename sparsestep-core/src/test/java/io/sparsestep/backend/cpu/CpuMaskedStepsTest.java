package io.sparsestep.backend.cpu;

import io.sparsestep.backend.Buffer;
import io.sparsestep.backend.DType;
import io.sparsestep.backend.SelectOps.Score;
import io.sparsestep.backend.Tensor;
import io.sparsestep.testing.FusedStepReference;
import io.sparsestep.testing.SgdVariant;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.Random;

import static io.sparsestep.backend.cpu.CpuTestSupport.read;
import static io.sparsestep.backend.cpu.CpuTestSupport.tensor;
import static io.sparsestep.testing.Bits.assertSameBits;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The masked steps on the CPU: GSM's golden two steps of ALGORITHMS.md 3.4 (selection by
 * radix select, stale momentum moving an unselected weight), GSM with everything selected and
 * masked SGD with a full mask equal to SGD bit for bit, and pruned weights held at +0.0. The
 * vector bodies against {@link FusedStepReference} bit for bit (raw bits: a pruned weight
 * written -0.0 fails) in every SGD variant the step takes, at sizes that run the vector body
 * and the scalar tail on any lane count up to 16 ({@link FusedStepPaths}), over the backend's
 * chunks, in adjacent views off every vector boundary; the mask-byte-to-lane conversion for
 * every float shape.
 */
class CpuMaskedStepsTest {
    private static CpuBackend be;
    /** Three workers: four chunks of a chunked size split unevenly (1 + 1 + 2). */
    private static CpuBackend threeThreads;

    @BeforeAll
    static void start() {
        be = new CpuBackend(2);
        threeThreads = new CpuBackend(3);
        FusedStepPaths.requireBodyAndTail("CpuMaskedStepsTest", FusedStepPaths.SIZES);
    }

    @AfterAll
    static void stop() {
        be.close();
        threeThreads.close();
    }

    /** The SGD variants GSM takes: dampening 0 (the authors' torch.optim.SGD default). */
    private static final List<SgdVariant> GSM_VARIANTS = SgdVariant.ALL.stream().filter(v -> v.dampening() == 0f).toList();

    @Test
    void gsmMatchesTheFloat32ReferenceBitwiseOverSeveralSteps() {
        for (int n : FusedStepPaths.SIZES) checkGsm(be, n, new Random(n), GSM_VARIANTS);
    }

    /** Chunking does not interact with the settings: three variants (plain, Nesterov with decay, no momentum) suffice. */
    @Test
    void gsmChunkBoundariesDoNotChangeABit() {
        List<SgdVariant> some = List.of(SgdVariant.ALL.get(3), SgdVariant.ALL.get(8), SgdVariant.ALL.get(1));
        checkGsm(be, FusedStepPaths.chunkedSize(), new Random(41), some);
        checkGsm(threeThreads, FusedStepPaths.chunkedSize(), new Random(42), some);
    }

    /**
     * Three GSM steps per variant at size n: a fresh gradient each step, the threshold the
     * score of the middle entry with that (w, g) copied to every fifth entry (exact ties,
     * both signs, kept), a NaN gradient first and last (never selected: the weight only decays).
     */
    private static void checkGsm(CpuBackend backend, int n, Random r, List<SgdVariant> variants) {
        for (SgdVariant v : variants) {
            float[] w = CpuTestSupport.random(r, n), buf = CpuTestSupport.random(r, n);
            Tensor tw = tensor(backend, w, n), tg = CpuTestSupport.zeros(backend, n), tb = v.usesMomentum() ? tensor(backend, buf, n) : null;
            int selectedSome = 0;
            for (int step = 0; step < 3; step++) {
                float[] g = CpuTestSupport.random(r, n);
                int mid = n / 2;
                for (int i = mid % 5; i < n; i += 5) {
                    w[i] = w[mid];
                    g[i] = i % 2 == 0 ? g[mid] : -g[mid];
                }
                if (n > 2) g[0] = g[n - 1] = Float.NaN;
                float threshold = Math.abs(g[mid] * w[mid]);
                backend.upload(MemorySegment.ofArray(g), tg);
                backend.upload(MemorySegment.ofArray(w), tw); // the copied entries
                backend.steps().gsm(tw, tg, tb, tensor(backend, new float[]{threshold}, 1), 0.05f, v.momentum(), v.weightDecay(),
                        v.nesterov(), step == 0);
                int selected = 0;
                for (int i = 0; i < n; i++) selected += Math.abs(g[i] * w[i]) >= threshold ? 1 : 0;
                FusedStepReference.gsm(w, g, buf, threshold, 0.05f, v, step == 0);
                String what = "n=" + n + " (" + backend.threads() + " threads), " + v + ", step " + step;
                assertSameBits(w, read(backend, tw), "w, " + what);
                if (tb != null) assertSameBits(buf, read(backend, tb), "momentum buffer, " + what);
                assertSameBits(g, read(backend, tg), "g is not modified, " + what);
                if (n > 2) assertTrue(Float.isFinite(w[0]) && Float.isFinite(w[n - 1]), "a NaN gradient is never selected, " + what);
                if (selected > 0 && selected < n) selectedSome++;
            }
            assertTrue(n < 16 || selectedSome == 3, "the threshold selects some entries but not all at n=" + n);
        }
    }

    @Test
    void maskedSgdMatchesTheFloat32ReferenceBitwiseOverSeveralSteps() {
        for (int n : FusedStepPaths.SIZES) checkMasked(be, n, new Random(n + 100), SgdVariant.ALL);
    }

    /** As for GSM: three variants (dampened with decay, Nesterov with decay, no momentum) over the chunks. */
    @Test
    void maskedSgdChunkBoundariesDoNotChangeABit() {
        List<SgdVariant> some = List.of(SgdVariant.ALL.get(5), SgdVariant.ALL.get(8), SgdVariant.ALL.get(1));
        checkMasked(be, FusedStepPaths.chunkedSize(), new Random(51), some);
        checkMasked(threeThreads, FusedStepPaths.chunkedSize(), new Random(52), some);
    }

    /** Every SGD variant, pruned weights zeroed and not, three steps, with kept bytes 1, 2 and 255 (any non-zero keeps). */
    private static void checkMasked(CpuBackend backend, int n, Random r, List<SgdVariant> variants) {
        for (SgdVariant v : variants) {
            for (boolean zeroPruned : new boolean[]{true, false}) {
                float[] w = CpuTestSupport.random(r, n), buf = CpuTestSupport.random(r, n);
                byte[] mask = randomMask(r, n);
                Tensor tw = tensor(backend, w, n), tg = CpuTestSupport.zeros(backend, n), tm = maskTensor(backend, mask, 1);
                Tensor tb = v.usesMomentum() ? tensor(backend, buf, n) : null;
                for (int step = 0; step < 3; step++) {
                    float[] g = CpuTestSupport.random(r, n);
                    backend.upload(MemorySegment.ofArray(g), tg);
                    backend.steps().maskedSgd(tw, tg, tb, tm, 0.05f, v.momentum(), v.dampening(), v.weightDecay(), v.nesterov(),
                            step == 0, zeroPruned);
                    FusedStepReference.maskedSgd(w, g, buf, mask, 0.05f, v, step == 0, zeroPruned);
                    String what = "n=" + n + " (" + backend.threads() + " threads), " + v + (zeroPruned ? ", zeroed" : ", drifting") + ", step " + step;
                    assertSameBits(w, read(backend, tw), "w, " + what);
                    if (tb != null) assertSameBits(buf, read(backend, tb), "momentum buffer, " + what);
                    assertSameBits(g, read(backend, tg), "g is not modified, " + what);
                }
            }
        }
    }

    /**
     * Two adjacent views of one set of buffers (weights at odd float offsets, the mask at odd
     * byte offsets) stepped with their own settings, as a method steps its layers; every
     * float and byte around them stays as it was.
     */
    @Test
    void adjacentViewsAtUnalignedStartsStepWithTheirOwnSettings() {
        int[] starts = {1, 47}, sizes = {46, 69};
        int total = 120;
        Random r = new Random(61);
        float[] w = CpuTestSupport.random(r, total), buf = CpuTestSupport.random(r, total), g = CpuTestSupport.random(r, total);
        byte[] mask = randomMask(r, total);
        Buffer bw = be.allocate(total, "w"), bbuf = be.allocate(total, "buf"), bg = be.allocate(total, "g");
        Buffer bm = be.allocate(DType.U8.wordsFor(total), "mask");
        be.upload(MemorySegment.ofArray(w), new Tensor(bw, 0, total));
        be.upload(MemorySegment.ofArray(buf), new Tensor(bbuf, 0, total));
        be.upload(MemorySegment.ofArray(g), new Tensor(bg, 0, total));
        be.upload(MemorySegment.ofArray(mask), new Tensor(bm, DType.U8, 0, total));
        SgdVariant[] variants = {SgdVariant.ALL.get(8), SgdVariant.ALL.get(5)}; // Nesterov with decay; dampened with decay
        for (boolean first : new boolean[]{true, false}) {
            for (int k = 0; k < 2; k++) {
                SgdVariant v = variants[k];
                int a = starts[k], e = a + sizes[k];
                be.steps().maskedSgd(new Tensor(bw, a, sizes[k]), new Tensor(bg, a, sizes[k]), new Tensor(bbuf, a, sizes[k]),
                        new Tensor(bm, DType.U8, a, sizes[k]), 0.1f, v.momentum(), v.dampening(), v.weightDecay(), v.nesterov(), first, k == 0);
                float[] wr = java.util.Arrays.copyOfRange(w, a, e), br = java.util.Arrays.copyOfRange(buf, a, e);
                FusedStepReference.maskedSgd(wr, java.util.Arrays.copyOfRange(g, a, e), br, java.util.Arrays.copyOfRange(mask, a, e), 0.1f, v,
                        first, k == 0);
                System.arraycopy(wr, 0, w, a, sizes[k]);
                System.arraycopy(br, 0, buf, a, sizes[k]);
            }
            assertSameBits(w, read(be, new Tensor(bw, 0, total)), "w over the whole buffer, first step " + first);
            assertSameBits(buf, read(be, new Tensor(bbuf, 0, total)), "momentum buffer over the whole buffer, first step " + first);
        }
    }

    /**
     * The mask bytes become float lanes alike for every float shape (2, 4, 8 and 16 lanes: the
     * prefix load below 8 lanes, the lane cast from 8 up), at every start, up to the last
     * vector of the segment (the prefix load must not read past the lanes it covers).
     */
    @Test
    void maskBytesBecomeLanesForEveryVectorShape() {
        byte[] bytes = new byte[40];
        Random r = new Random(71);
        for (int i = 0; i < bytes.length; i++) bytes[i] = (byte) new int[]{0, 1, 2, 255, 0, 7}[r.nextInt(6)];
        MemorySegment seg = MemorySegment.ofArray(bytes);
        for (VectorSpecies<Float> floats : List.of(FloatVector.SPECIES_64, FloatVector.SPECIES_128, FloatVector.SPECIES_256, FloatVector.SPECIES_512)) {
            VectorSpecies<Byte> byteSpecies = CpuMaskedSteps.byteSpeciesFor(floats);
            for (int start = 0; start + floats.length() <= bytes.length; start++) {
                if (byteSpecies.length() == floats.length() && start + byteSpecies.length() > bytes.length) continue;
                VectorMask<Float> lanes = CpuMaskedSteps.keptLanes(floats, byteSpecies, seg, start);
                for (int k = 0; k < floats.length(); k++) {
                    assertEquals(bytes[start + k] != 0, lanes.laneIsSet(k), floats + " lane " + k + " at byte " + start);
                }
            }
        }
    }

    @Test
    void badArgumentsAreRefusedNamingTheOp() {
        Tensor w = CpuTestSupport.zeros(be, 8), g = CpuTestSupport.zeros(be, 8), th = CpuTestSupport.zeros(be, 1);
        IllegalArgumentException noBuffer = assertThrows(IllegalArgumentException.class,
                () -> be.steps().gsm(w, g, null, th, 0.1f, 0.9f, 0f, false, true));
        assertTrue(noBuffer.getMessage().startsWith("gsmStep: momentum 0.9 needs a momentum buffer of 8 floats"), noBuffer.getMessage());
        IllegalArgumentException shortBuffer = assertThrows(IllegalArgumentException.class,
                () -> be.steps().maskedSgd(w, g, CpuTestSupport.zeros(be, 7), maskTensor(be, new byte[8], 0), 0.1f, 0.9f, 0f, 0f, false, true, true));
        assertTrue(shortBuffer.getMessage().contains("maskedSgdStep: momentum buffer"), shortBuffer.getMessage());
        assertThrows(IllegalArgumentException.class, () -> be.steps().maskedSgd(w, g, null, maskTensor(be, new byte[7], 0), 0.1f, 0f, 0f, 0f,
                false, true, true));
        assertThrows(IllegalArgumentException.class, () -> be.steps().gsm(w, g, null, CpuTestSupport.zeros(be, 0), 0.1f, 0f, 0f, false, true));
        // momentum 0 never touches a buffer, so none is needed
        be.steps().gsm(w, g, null, th, 0.1f, 0f, 0f, false, true);
    }

    /** About 40% pruned; kept bytes 1, 2 or 255. */
    private static byte[] randomMask(Random r, int n) {
        byte[] m = new byte[n];
        for (int i = 0; i < n; i++) {
            int u = r.nextInt(10);
            m[i] = u < 4 ? 0 : u < 8 ? (byte) 1 : u < 9 ? (byte) 2 : (byte) 255;
        }
        return m;
    }

    /** A u8 view of {@code m} at byte {@code offset} of a fresh buffer. */
    private static Tensor maskTensor(CpuBackend backend, byte[] m, int offset) {
        Buffer b = backend.allocate(DType.U8.wordsFor(m.length + offset) + 1, "mask");
        Tensor t = new Tensor(b, DType.U8, offset, m.length);
        backend.upload(MemorySegment.ofArray(m), t);
        return t;
    }

    @Test
    void gsmGoldenTwoStepsWithStaleMomentum() {
        try (CpuBackend be = new CpuBackend(2)) {
            Tensor w = tensor(be, CpuSelectOpsTest.GSM_W, 6), g = tensor(be, CpuSelectOpsTest.GSM_G, 6);
            Tensor m = tensor(be, new float[6], 6);
            Tensor scratch = CpuSelectOpsTest.scratch(be, 6);
            double[][] want = {
                    {0.949, -1.998, 0.5995, 3.996, -1.074, 0.04975},
                    {0.852151, -1.994202, 0.7884505, 3.988404, -1.214526, -0.13052475}};
            for (int step = 0; step < 2; step++) {
                be.selects().kthLargest(Score.SALIENCY, w, g, null, 3, scratch);
                be.steps().gsm(w, g, m, be.selects().threshold(scratch), 0.1f, 0.9f, 0.01f, false, step == 0);
                float[] got = read(be, w);
                for (int i = 0; i < 6; i++) assertEquals(want[step][i], got[i], 2e-6 * Math.max(1, Math.abs(want[step][i])), "step " + (step + 1) + ", element " + i);
            }
        }
    }

    @Test
    void gsmSelectingEverythingAndMaskedSgdWithAFullMaskAreSgdBitForBit() {
        Random r = new Random(5);
        int n = CpuBackend.CHUNK + 19;
        float[] w0 = gaussian(r, n), g = gaussian(r, n);
        try (CpuBackend be = new CpuBackend(3)) {
            for (boolean nesterov : new boolean[]{false, true}) {
                float dampening = nesterov ? 0f : 0.25f;
                Tensor ws = tensor(be, w0, n), wg = tensor(be, w0, n), wm = tensor(be, w0, n), gt = tensor(be, g, n);
                Tensor ms = tensor(be, new float[n], n), mg = tensor(be, new float[n], n), mm = tensor(be, new float[n], n);
                Tensor zero = tensor(be, new float[]{0f}, 1);
                byte[] ones = new byte[n];
                java.util.Arrays.fill(ones, (byte) 1);
                Tensor mask = CpuSelectOpsTest.mask(be, ones);
                for (int step = 0; step < 3; step++) {
                    boolean first = step == 0;
                    be.steps().sgd(ws, gt, ms, 0.05f, 0.9f, 0f, 1e-3f, nesterov, first);
                    be.steps().gsm(wg, gt, mg, zero, 0.05f, 0.9f, 1e-3f, nesterov, first);
                    assertBitsEqual(read(be, ws), read(be, wg), "gsm with threshold 0, nesterov " + nesterov);
                    be.steps().sgd(ws, gt, ms, 0.05f, 0.9f, dampening, 1e-3f, nesterov, first); // keep the pair in step
                    be.steps().sgd(wg, gt, mg, 0.05f, 0.9f, dampening, 1e-3f, nesterov, first);
                    be.steps().maskedSgd(wm, gt, mm, mask, 0.05f, 0.9f, dampening, 1e-3f, nesterov, first, true);
                }
                Tensor wr = tensor(be, w0, n), mr = tensor(be, new float[n], n);
                for (int step = 0; step < 3; step++) be.steps().sgd(wr, gt, mr, 0.05f, 0.9f, dampening, 1e-3f, nesterov, step == 0);
                assertBitsEqual(read(be, wr), read(be, wm), "masked sgd with a full mask, nesterov " + nesterov);
            }
        }
    }

    @Test
    void maskedSgdHoldsPrunedWeightsAtPositiveZeroOrLetsThemDrift() {
        try (CpuBackend be = new CpuBackend(2)) {
            float[] w0 = {1f, -2f, 3f, -4f};
            Tensor g = tensor(be, new float[]{0.5f, 0.5f, 0.5f, 0.5f}, 4);
            Tensor mask = CpuSelectOpsTest.mask(be, new byte[]{1, 0, 1, 0});
            Tensor w = tensor(be, w0, 4), m = tensor(be, new float[4], 4);
            be.steps().maskedSgd(w, g, m, mask, 0.1f, 0.9f, 0f, 0.01f, false, true, true);
            float[] got = read(be, w);
            assertEquals(1f - 0.1f * (0.5f + 0.01f * 1f), got[0]);
            assertEquals(0, Float.floatToRawIntBits(got[1]), "pruned -2 must be +0.0");
            assertEquals(0, Float.floatToRawIntBits(got[3]), "pruned -4 must be +0.0");
            Tensor drift = tensor(be, w0, 4), m2 = tensor(be, new float[4], 4);
            be.steps().maskedSgd(drift, g, m2, mask, 0.1f, 0.9f, 0f, 0.01f, false, true, false);
            // not zeroed: the pruned weight gets no gradient but still its decay
            assertEquals(-2f - 0.1f * (0f + 0.01f * -2f), read(be, drift)[1]);
        }
    }

    static float[] gaussian(Random r, int n) {
        float[] out = new float[n];
        for (int i = 0; i < n; i++) out[i] = (float) r.nextGaussian();
        return out;
    }

    static void assertBitsEqual(float[] want, float[] got, String what) {
        for (int i = 0; i < want.length; i++) {
            if (Float.floatToRawIntBits(want[i]) != Float.floatToRawIntBits(got[i])) {
                throw new AssertionError(what + ": element " + i + " is " + got[i] + ", want " + want[i]);
            }
        }
    }
}
