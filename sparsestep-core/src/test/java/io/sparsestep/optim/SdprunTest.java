package io.sparsestep.optim;

import io.sparsestep.backend.Backend;
import io.sparsestep.backend.GroupGeometry;
import io.sparsestep.backend.GroupGeometry.Grouping;
import io.sparsestep.backend.cpu.CpuBackend;
import io.sparsestep.params.ParamEntry;
import io.sparsestep.params.ParamGroup;
import io.sparsestep.params.ParamLayout;
import io.sparsestep.params.ParamLayout.Declared;
import io.sparsestep.params.ParamSpace;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Function;

import static io.sparsestep.testing.Bits.assertSameBits;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * sDprun against what ALGORITHMS.md 2 asks of it: groups of one element with lambda 1 are
 * gRDA bit for bit; c = 0 is plain SGD bit for bit; a zeroed group is exactly +0.0; each
 * group keeps its direction (w_G is a non-negative multiple of acc_G); a golden worked by
 * hand; bitwise reproducible on any thread count; it continues exactly from its state; and
 * its sparsity reports say what they count. (Resuming from a checkpoint file: train's
 * SdprunCheckpointTest.)
 */
class SdprunTest {
    private static Backend be;

    @BeforeAll
    static void open() { be = new CpuBackend(2); }

    @AfterAll
    static void close() { be.close(); }

    /** A conv-net-like space: two convs, a linear layer, biases; random weights. */
    private static final List<Declared> NET = List.of(
            new Declared("conv1.weight", new int[] {8, 3, 3, 3}, ParamGroup.WEIGHTS),
            new Declared("conv1.bias", new int[] {8}, ParamGroup.BIAS_AND_NORM),
            new Declared("conv2.weight", new int[] {12, 8, 3, 3}, ParamGroup.WEIGHTS),
            new Declared("bn.weight", new int[] {12}, ParamGroup.BIAS_AND_NORM),
            new Declared("fc.weight", new int[] {10, 48}, ParamGroup.WEIGHTS),
            new Declared("fc.bias", new int[] {10}, ParamGroup.BIAS_AND_NORM));

    private static ParamSpace space(Backend b, List<Declared> tensors, long seed) {
        ParamSpace s = ParamSpace.allocate(b, ParamLayout.of(tensors));
        Random r = new Random(seed);
        float[] w = new float[Math.toIntExact(s.layout().words())];
        for (int i = 0; i < w.length; i++) w[i] = (float) (r.nextGaussian() * 0.2);
        s.values().fromHost(w);
        return s;
    }

    private static float[] randomGrads(ParamSpace s, Random r) {
        float[] g = new float[Math.toIntExact(s.layout().words())];
        for (int i = 0; i < g.length; i++) g[i] = (float) (r.nextGaussian() * 0.5 + (i % 5 == 0 ? 0.1 : 0));
        s.grads().fromHost(g);
        return g;
    }

    @Test
    void groupsOfOneElementWithLambdaOneAreGrdaBitForBit() {
        // a 1-d weight and a [n, 1] linear weight: every group (element, row) has one element
        List<Declared> ones = List.of(new Declared("v", new int[] {1037}, ParamGroup.WEIGHTS),
                new Declared("fc.weight", new int[] {300, 1}, ParamGroup.WEIGHTS),
                new Declared("b", new int[] {41}, ParamGroup.BIAS_AND_NORM));
        for (Sdprun.Lambda lambda : Sdprun.Lambda.values()) {
            try (ParamSpace a = space(be, ones, 4); ParamSpace b = space(be, ones, 4);
                 Sdprun sd = Sdprun.builder().lr(0.05).c(8).mu(0.65).group(ParamGroup.BIAS_AND_NORM, s -> s.withC(12))
                         .lambda(lambda).build(a);
                 Grda grda = Grda.builder().lr(0.05).c(8).mu(0.65).group(ParamGroup.BIAS_AND_NORM, s -> s.withC(12)).build(b)) {
                Random r = new Random(9);
                long zerosSeen = 0;
                for (int step = 1; step <= 6; step++) {
                    float[] g = randomGrads(a, r);
                    b.grads().fromHost(g);
                    double factor = step <= 3 ? 1 : 0.4;
                    sd.step(factor);
                    grda.step(factor);
                    String what = "lambda " + lambda.id() + ", step " + step;
                    assertSameBits(b.values().toHost(), a.values().toHost(), "weights, " + what);
                    assertSameBits(grda.state().buffers().get("acc").toHost(), sd.state().buffers().get("acc").toHost(), "acc, " + what);
                    assertEquals(grda.lastStepZeros(), sd.lastStepZeros(), "zeros written, " + what);
                    assertEquals(grda.state().scalars(), sd.state().scalars(), what);
                    zerosSeen += sd.lastStepZeros();
                }
                assertTrue(zerosSeen > 0, "the thresholds must prune something for the comparison to mean anything");
            }
        }
    }

    @Test
    void cZeroIsPlainSgdWithoutMomentumBitForBit() {
        for (Grouping grouping : List.of(Grouping.FILTERS, Grouping.CHANNELS)) {
            try (ParamSpace a = space(be, NET, 5); ParamSpace b = space(be, NET, 5);
                 Sdprun sd = Sdprun.builder().lr(0.1).c(0).mu(0.6).grouping(grouping).build(a);
                 Sgd sgd = Sgd.builder().lr(0.1).build(b)) {
                Random r = new Random(6);
                for (int step = 0; step < 150; step++) {
                    b.grads().fromHost(randomGrads(a, r));
                    double factor = step < 80 ? 1 : 0.3;
                    sd.step(factor);
                    sgd.step(factor);
                }
                assertSameBits(b.values().toHost(), a.values().toHost(), "sDprun at c = 0 against SGD, " + grouping.id());
            }
        }
    }

    /** w_G = k * acc_G with one k in [0, 1) per group, and a zeroed group is +0.0 throughout. */
    @Test
    void eachGroupShrinksAlongItsAccumulatorAndZeroedGroupsArePositiveZero() {
        for (Grouping grouping : List.of(Grouping.FILTERS, Grouping.CHANNELS)) {
            try (ParamSpace s = space(be, NET, 7); Sdprun sd = Sdprun.builder().lr(0.05).c(1.5).mu(0.6).grouping(grouping).build(s)) {
                Random r = new Random(8);
                int zeroed = 0;
                for (int step = 1; step <= 8; step++) {
                    randomGrads(s, r);
                    sd.step(1);
                    float[] w = s.values().toHost(), acc = sd.state().buffers().get("acc").toHost();
                    for (ParamEntry e : s.layout().entries()) {
                        if (e.group() != ParamGroup.WEIGHTS) continue;
                        GroupGeometry geo = Sdprun.geometry(e.shape(), grouping);
                        for (int gi = 0; gi < geo.groups(); gi++) {
                            double k = Double.NaN;
                            boolean allZero = true;
                            for (int p = 0; p < geo.groupSize(); p++) {
                                int i = Math.toIntExact(e.offset() + geo.element(gi, p));
                                allZero &= w[i] == 0;
                                if (acc[i] == 0) {
                                    assertSameBits(0f, w[i], e.name() + "[" + i + "]: a zero accumulator entry");
                                    continue;
                                }
                                double ratio = (double) w[i] / acc[i];
                                if (Double.isNaN(k)) k = ratio;
                                assertEquals(k, ratio, 1e-6, e.name() + " group " + gi + ": one factor per group");
                                assertTrue(ratio >= 0 && ratio <= 1, e.name() + " group " + gi + ": a shrink, got factor " + ratio);
                            }
                            if (allZero) {
                                zeroed++;
                                for (int p = 0; p < geo.groupSize(); p++) {
                                    assertSameBits(0f, w[Math.toIntExact(e.offset() + geo.element(gi, p))], e.name() + " group " + gi + " is +0.0");
                                }
                            }
                        }
                    }
                }
                assertTrue(zeroed > 0, grouping.id() + ": the threshold should zero some groups");
            }
        }
    }

    /**
     * A golden by hand: one [2, 1, 2, 2] conv weight (two filters of four) and a bias, lr 0.25,
     * mu 0.5, c 2, so tau_1 = c * lr^(0.5+mu) = 0.5 and tau_2 = tau_1 + 0.5 * (sqrt(2) - 1) =
     * 0.5 * sqrt(2); lambda = sqrt(4) = 2. Step 1 with g = [-4, -8, 0, 0 | 1, 0, 0, 0] from
     * w0 = [2, 2, 0, 0 | 0.5, 0, 0, 0]: acc = [3, 4, 0, 0 | 0.25, 0, 0, 0]; filter 0 has
     * norm 5 > 2 * 0.5, w = acc * (1 - 1/5) = [2.4, 3.2, 0, 0]; filter 1 has norm 0.25 <= 1:
     * +0.0. Step 2 with g = 0: threshold 2 * 0.5 * sqrt(2) = sqrt(2), w = acc * (1 - sqrt(2)/5)
     * = [2.1514718625761, 2.8686291501015, 0, 0]. With lambda 1 the thresholds are tau:
     * [2.7, 3.6, 0, 0] (factor 0.9), filter 1 0.25 <= 0.5 still zero; then factor 1 - sqrt(2)/10.
     */
    @Test
    void matchesAGoldenWorkedByHand() {
        List<Declared> one = List.of(new Declared("conv.weight", new int[] {2, 1, 2, 2}, ParamGroup.WEIGHTS),
                new Declared("conv.bias", new int[] {2}, ParamGroup.BIAS_AND_NORM));
        double r2 = Math.sqrt(2);
        double[][] expected = {
                {2.4, 3.2, 0, 0}, {3 * (1 - r2 / 5), 4 * (1 - r2 / 5), 0, 0}, // lambda sqrt
                {2.7, 3.6, 0, 0}, {3 * (1 - r2 / 10), 4 * (1 - r2 / 10), 0, 0}}; // lambda 1
        for (Sdprun.Lambda lambda : Sdprun.Lambda.values()) {
            try (ParamSpace s = ParamSpace.allocate(be, ParamLayout.of(one))) {
                float[] w0 = new float[Math.toIntExact(s.layout().words())];
                float[] start = {2, 2, 0, 0, 0.5f, 0, 0, 0};
                System.arraycopy(start, 0, w0, 0, 8);
                s.values().fromHost(w0);
                try (Sdprun opt = Sdprun.builder().lr(0.25).c(2).mu(0.5).group(ParamGroup.BIAS_AND_NORM, x -> x.withC(0)).lambda(lambda).build(s)) {
                    float[] g = new float[w0.length];
                    float[] g1 = {-4, -8, 0, 0, 1, 0, 0, 0};
                    System.arraycopy(g1, 0, g, 0, 8);
                    s.grads().fromHost(g);
                    opt.step(1);
                    assertEquals(0.5, opt.tau(ParamGroup.WEIGHTS), 1e-15);
                    check(expected[lambda == Sdprun.Lambda.SQRT ? 0 : 2], s.values().toHost(), lambda + " step 1");
                    s.grads().fromHost(new float[w0.length]);
                    opt.step(1);
                    assertEquals(0.5 * r2, opt.tau(ParamGroup.WEIGHTS), 1e-15);
                    check(expected[lambda == Sdprun.Lambda.SQRT ? 1 : 3], s.values().toHost(), lambda + " step 2");
                    assertEquals(List.of(new Sdprun.GroupCount("conv.weight", Grouping.FILTERS, 2, 1, 4)), opt.zeroGroups());
                }
            }
        }
    }

    /** Filter 0 to float rounding of the double golden; filter 1 exactly +0.0. */
    private static void check(double[] filter0, float[] w, String what) {
        for (int i = 0; i < 4; i++) assertEquals(filter0[i], w[i], 1e-6 * Math.max(1, Math.abs(filter0[i])), what + " w[" + i + "]");
        for (int i = 4; i < 8; i++) assertSameBits(0f, w[i], what + " pruned filter w[" + i + "]");
    }

    @Test
    void runsAreBitwiseTheSameOnAnyThreadCount() {
        List<Declared> big = List.of(new Declared("conv.weight", new int[] {64, 128, 3, 3}, ParamGroup.WEIGHTS),
                new Declared("fc.weight", new int[] {300, 400}, ParamGroup.WEIGHTS),
                new Declared("fc.bias", new int[] {300}, ParamGroup.BIAS_AND_NORM));
        float[][] out = new float[2][];
        int[] threads = {1, 3};
        for (int k = 0; k < 2; k++) {
            try (CpuBackend b = new CpuBackend(threads[k]); ParamSpace s = space(b, big, 12);
                 Sdprun sd = Sdprun.builder().lr(0.05).c(0.5).mu(0.6).build(s)) {
                Random r = new Random(13);
                for (int step = 0; step < 5; step++) {
                    randomGrads(s, r);
                    sd.step(1);
                }
                out[k] = s.values().toHost();
            }
        }
        assertSameBits(out[0], out[1], "weights after 5 steps on 1 and 3 threads");
    }

    @Test
    void continuesExactlyFromItsState() {
        Function<ParamSpace, Optimizer> make = s -> Methods.parse("sdprun", Map.of("--c", "0.8", "--bias-bn-c", "0.5", "--groups", "channels")).build(s);
        int k = 3, m = 4;
        Random grads = new Random(21);
        float[][] g = new float[k + m][];
        float[] weightsAtK, uninterrupted;
        Map<String, float[]> buffersAtK = new HashMap<>();
        Map<String, Double> scalarsAtK;
        try (ParamSpace s = space(be, NET, 1); Optimizer opt = make.apply(s)) {
            for (int i = 0; i < k; i++) {
                g[i] = randomGrads(s, grads);
                opt.step(i == 2 ? 0.5 : 1);
            }
            weightsAtK = s.values().toHost();
            opt.state().buffers().forEach((name, b) -> buffersAtK.put(name, b.toHost()));
            scalarsAtK = opt.state().scalars();
            for (int i = k; i < k + m; i++) {
                g[i] = randomGrads(s, grads);
                opt.step(0.5);
            }
            uninterrupted = s.values().toHost();
        }
        assertEquals(java.util.Set.of("step", "tau.weights", "tau.bias_bn"), scalarsAtK.keySet(), "gRDA's scalars");
        try (ParamSpace s = space(be, NET, 99); Optimizer opt = make.apply(s)) {
            s.values().fromHost(weightsAtK);
            opt.state().buffers().forEach((name, b) -> b.fromHost(buffersAtK.get(name)));
            opt.restoreScalars(scalarsAtK);
            for (int i = k; i < k + m; i++) {
                s.grads().fromHost(g[i]);
                opt.step(0.5);
            }
            assertSameBits(uninterrupted, s.values().toHost(), "weights after resuming from the state");
        }
    }

    /**
     * What the method says it prunes and counts; the fused zero count; and the group report,
     * on weights made so that tensor t (in layout order) has exactly its first 2(t+1) filters
     * or rows below the threshold (1e-4 against 0.5, zero gradients), a different count in
     * each tensor.
     */
    @Test
    void sparsityIsReportedWithWhatItCounts() {
        assertTrue(SdprunSpec.METHOD.prunes().contains("sparsity counts conv/linear weights"), SdprunSpec.METHOD.prunes());
        try (ParamSpace s = space(be, NET, 3)) {
            float[] w0 = s.values().toHost();
            int t = 0;
            for (ParamEntry e : s.layout().entries()) {
                if (e.group() != ParamGroup.WEIGHTS) continue;
                int rowSize = Math.toIntExact(e.size() / e.shape()[0]);
                for (int o = 0; o < e.shape()[0]; o++) {
                    for (int j = 0; j < rowSize; j++) w0[Math.toIntExact(e.offset() + (long) o * rowSize + j)] = o < 2 * (t + 1) ? 1e-4f : 0.5f;
                }
                t++;
            }
            s.values().fromHost(w0);
            try (Sdprun fresh = Sdprun.builder().lr(0.05).c(0.27).mu(0.6).build(s)) { // the accumulator starts at these weights
                s.grads().fromHost(new float[w0.length]);
                fresh.step(1);
                float[] w = s.values().toHost();
                long zerosInWeights = 0;
                ParamLayout.Range weights = s.layout().group(ParamGroup.WEIGHTS);
                for (long i = weights.offset(); i < weights.offset() + weights.length(); i++) if (w[(int) i] == 0) zerosInWeights++;
                assertEquals(zerosInWeights, fresh.lastStepZeros(), "the fused count is the zeros among conv/linear weights, biases not counted");
                List<Sdprun.GroupCount> counts = fresh.zeroGroups();
                assertEquals(List.of("conv1.weight", "conv2.weight", "fc.weight"), counts.stream().map(Sdprun.GroupCount::tensor).toList());
                long zeroWeightsInGroups = 0;
                for (int k = 0; k < counts.size(); k++) {
                    Sdprun.GroupCount c = counts.get(k);
                    ParamEntry e = s.layout().require(c.tensor());
                    assertEquals(e.shape()[0], c.groups(), c.tensor() + ": filters or rows");
                    assertEquals(2 * (k + 1), c.zero(), c.tensor() + ": whole zero filters or rows");
                    for (int o = 0; o < e.shape()[0]; o++) {
                        for (int j = 0; j < c.groupSize(); j++) {
                            float v = w[Math.toIntExact(e.offset() + (long) o * c.groupSize() + j)];
                            assertEquals(o < c.zero(), v == 0, c.tensor() + " group " + o + " element " + j);
                        }
                    }
                    zeroWeightsInGroups += (long) c.zero() * c.groupSize();
                }
                assertEquals(zerosInWeights, zeroWeightsInGroups, "every zero is part of a whole zero group here");
            }
        }
    }

    @Test
    void theSpecReadsItsOptionsAndRefusesBadOnesByName() {
        SdprunSpec spec = assertInstanceOf(SdprunSpec.class, Methods.parse("sdprun", Map.of("--groups", "channels", "--group-lambda", "1")));
        assertEquals(Grouping.CHANNELS, spec.groups());
        assertEquals(Sdprun.Lambda.ONE, spec.lambda());
        assertEquals(spec, Methods.parse("sdprun", spec.options()));
        assertEquals("--groups must be one of filters, channels, got 'rows'",
                assertThrows(IllegalArgumentException.class, () -> Methods.parse("sdprun", Map.of("--groups", "rows"))).getMessage());
        assertEquals("--group-lambda must be one of sqrt, 1, got '2'",
                assertThrows(IllegalArgumentException.class, () -> Methods.parse("sdprun", Map.of("--group-lambda", "2"))).getMessage());
        assertEquals("--mu must be in (0, 1) (the theory assumes mu > 0.5), got 1.0",
                assertThrows(IllegalArgumentException.class, () -> Methods.parse("sdprun", Map.of("--mu", "1"))).getMessage());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Methods.parse("grda", Map.of("--groups", "filters")))
                .getMessage().startsWith("--groups is an option of sDprun (--method sdprun)"));
        assertThrows(IllegalArgumentException.class, () -> Sdprun.builder().grouping(Grouping.KERNELS));
    }
}
