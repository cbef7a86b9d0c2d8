package io.sparsestep.optim;

import io.sparsestep.backend.cpu.CpuBackend;
import io.sparsestep.params.ParamGroup;
import io.sparsestep.params.ParamLayout;
import io.sparsestep.params.ParamSpace;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Network slimming (ALGORITHMS.md 8.2): the L1 subgradient moves the scales towards 0 before
 * the prune; the global threshold sorted|gamma|[int(total*percent)] keeps |gamma| > thr
 * (strict), across layers; pruned channels' gamma, beta and feeding filters are held at 0
 * through later steps; a model without batch norm is refused.
 */
class SlimmingTest {
    @Test
    void theGlobalStrictThresholdPrunesChannelsWithTheirFiltersAndHoldsThemAtZero() {
        try (CpuBackend be = new CpuBackend(1); ParamSpace space = space(be)) {
            set(be, space, "bn1.weight", 0.1f, -0.5f, 0.05f, 0.3f);
            set(be, space, "bn2.weight", 0.2f, 0.01f, -0.4f);
            set(be, space, "bn1.bias", 1, 1, 1, 1);
            set(be, space, "bn2.bias", 1, 1, 1);
            set(be, space, "conv1.weight", 1, 2, 3, 4);
            set(be, space, "conv2.weight", ones(12));
            try (Slimming s = (Slimming) Methods.parse("slimming", Map.of("--percent", "0.5", "--prune-epoch", "1", "--penalty", "0.01",
                    "--lr", "0.1", "--momentum", "0")).build(space, new TrainingPlan(3, 1, 0))) {
                // before the prune: gamma -= lr * s * sign(gamma) with a zero loss gradient
                s.startEpoch(1);
                s.step(1);
                assertArrayEquals(new float[]{0.1f - 0.001f, -0.5f + 0.001f, 0.05f - 0.001f, 0.3f - 0.001f}, get(be, space, "bn1.weight"));
                // |gamma| sorted: .009 .049 .099 .199 .299 .399 .499; int(7 * 0.5) = 3 -> thr 0.199, keep > thr
                s.startEpoch(2);
                assertEquals(Map.of("bn1", 2L, "bn2", 1L), s.keptChannels());
                for (int step = 0; step < 2; step++) {
                    set(be, space.grads(), "bn1.weight", 1, 1, 1, 1);
                    set(be, space.grads(), "bn1.bias", 1, 1, 1, 1);
                    set(be, space.grads(), "conv1.weight", 1, 1, 1, 1);
                    float kept = get(be, space, "bn1.weight")[1];
                    s.step(1);
                    float[] g1 = get(be, space, "bn1.weight"), b1 = get(be, space, "bn1.bias"), c1 = get(be, space, "conv1.weight");
                    // fine-tuning has no penalty: a kept scale moves by its gradient alone
                    assertEquals(kept - 0.1f * 1f, g1[1], "kept scale after step " + step);
                    for (int c : new int[]{0, 2}) {
                        assertEquals(0, Float.floatToRawIntBits(g1[c]), "bn1 gamma " + c);
                        assertEquals(0, Float.floatToRawIntBits(b1[c]), "bn1 beta " + c);
                        assertEquals(0, Float.floatToRawIntBits(c1[c]), "conv1 filter " + c);
                    }
                    assertTrue(g1[1] != 0 && g1[3] != 0 && c1[1] != 0 && c1[3] != 0, "kept channels train");
                    float[] c2 = get(be, space, "conv2.weight");
                    for (int i = 0; i < 8; i++) assertEquals(0f, c2[i], "conv2 filters 0 and 1 (4 inputs each)");
                    for (int i = 8; i < 12; i++) assertEquals(1f, c2[i], "conv2 filter 2 is kept");
                }
            }
        }
    }

    @Test
    void aModelWithoutBatchNormIsRefusedAndFeedingConvsAreFoundByName() {
        assertEquals("conv1", Slimming.feedingConv("bn1"));
        assertEquals("layer1.0.branch.conv2", Slimming.feedingConv("layer1.0.branch.bn2"));
        assertEquals("layer2.0.shortcut.conv", Slimming.feedingConv("layer2.0.shortcut.bn"));
        try (CpuBackend be = new CpuBackend(1);
             ParamSpace space = ParamSpace.allocate(be, ParamLayout.of(List.of(new ParamLayout.Declared("fc.weight", new int[]{2, 2}, ParamGroup.WEIGHTS),
                     new ParamLayout.Declared("fc.bias", new int[]{2}, ParamGroup.BIAS_AND_NORM))))) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> Methods.parse("slimming", Map.of()).build(space, new TrainingPlan(2, 1, 0)));
            assertTrue(e.getMessage().contains("no batch norm"), e.getMessage());
        }
    }

    private static ParamSpace space(CpuBackend be) {
        return ParamSpace.allocate(be, ParamLayout.of(List.of(
                new ParamLayout.Declared("conv1.weight", new int[]{4, 1, 1, 1}, ParamGroup.WEIGHTS),
                new ParamLayout.Declared("bn1.weight", new int[]{4}, ParamGroup.BIAS_AND_NORM),
                new ParamLayout.Declared("bn1.bias", new int[]{4}, ParamGroup.BIAS_AND_NORM),
                new ParamLayout.Declared("conv2.weight", new int[]{3, 4, 1, 1}, ParamGroup.WEIGHTS),
                new ParamLayout.Declared("bn2.weight", new int[]{3}, ParamGroup.BIAS_AND_NORM),
                new ParamLayout.Declared("bn2.bias", new int[]{3}, ParamGroup.BIAS_AND_NORM))));
    }

    private static float[] ones(int n) {
        float[] o = new float[n];
        java.util.Arrays.fill(o, 1f);
        return o;
    }

    private static void set(CpuBackend be, ParamSpace space, String name, float... v) { set(be, space.values(), name, v); }

    private static void set(CpuBackend be, io.sparsestep.params.ParamBuffer buf, String name, float... v) {
        be.upload(MemorySegment.ofArray(v), buf.of(name));
    }

    private static float[] get(CpuBackend be, ParamSpace space, String name) {
        float[] out = new float[Math.toIntExact(space.layout().require(name).size())];
        be.download(space.values().of(name), MemorySegment.ofArray(out));
        return out;
    }
}
