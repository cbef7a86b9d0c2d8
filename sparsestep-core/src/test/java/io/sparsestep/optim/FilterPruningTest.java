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
 * L1 filter pruning (ALGORITHMS.md 8.2): the filters with the largest sum |W[o]| survive,
 * m = int(O * (1 - ratio)) floored or --keep's count, whole filters zeroed, ties by index,
 * --skip leaves a layer dense, linear layers are never pruned, and unknown layer names are
 * refused with the layers listed.
 */
class FilterPruningTest {
    @Test
    void keepsTheFiltersWithTheLargestL1NormWhole() {
        try (CpuBackend be = new CpuBackend(1); ParamSpace space = space(be)) {
            // conv1: 5 filters of [1, 2, 2]; L1 norms 4, 8, 2, 8, 6 (a tie at 8: both kept); ratio 0.5: int(5 * 0.5) = 2 kept
            float[] conv1 = {1, 1, 1, 1, 2, -2, 2, 2, 0.5f, 0.5f, 0.5f, 0.5f, -2, 2, 2, 2, 1.5f, 1.5f, 1.5f, 1.5f};
            be.upload(MemorySegment.ofArray(conv1), space.values().of("conv1.weight"));
            be.upload(MemorySegment.ofArray(ramp(3 * 5 * 1)), space.values().of("conv2.weight"));
            try (FilterPruning f = (FilterPruning) Methods.parse("l1-filter", Map.of("--ratio", "0.5", "--prune-epoch", "0", "--keep", "conv2=2"))
                    .build(space, new TrainingPlan(2, 1, 0))) {
                f.startEpoch(1);
                float[] got = new float[20];
                be.download(space.values().of("conv1.weight"), MemorySegment.ofArray(got));
                assertArrayEquals(new float[]{0, 0, 0, 0, 2, -2, 2, 2, 0, 0, 0, 0, -2, 2, 2, 2, 0, 0, 0, 0}, got);
                assertEquals(Map.of("conv1", 2, "conv2", 2), f.keptFilters());
                float[] c2 = new float[15];
                be.download(space.values().of("conv2.weight"), MemorySegment.ofArray(c2));
                // conv2's ramp grows with the index: its last 2 filters have the largest norms
                for (int i = 0; i < 15; i++) assertEquals(i >= 5, c2[i] != 0, "conv2 entry " + i);
                float[] fc = new float[12];
                be.download(space.values().of("fc.weight"), MemorySegment.ofArray(fc));
                for (float v : fc) assertTrue(v != 0, "the linear layer is not pruned");
            }
        }
    }

    @Test
    void skippedLayersStayDenseAndUnknownNamesAreRefused() {
        try (CpuBackend be = new CpuBackend(1); ParamSpace space = space(be)) {
            be.upload(MemorySegment.ofArray(ramp(20)), space.values().of("conv1.weight"));
            try (FilterPruning f = (FilterPruning) Methods.parse("l1-filter", Map.of("--skip", "conv1", "--prune-epoch", "0"))
                    .build(space, new TrainingPlan(2, 1, 0))) {
                f.startEpoch(1);
                assertEquals(Map.of("conv2", 1), f.keptFilters(), "int(3 * 0.5) = 1");
            }
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> Methods.parse("l1-filter", Map.of("--keep", "conv9=3")).build(space, new TrainingPlan(2, 1, 0)));
            assertTrue(e.getMessage().contains("no such conv layer for --keep conv9") && e.getMessage().contains("[conv1, conv2]"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> Methods.parse("l1-filter", Map.of("--keep", "conv1=x")));
        }
    }

    private static ParamSpace space(CpuBackend be) {
        ParamSpace s = ParamSpace.allocate(be, ParamLayout.of(List.of(
                new ParamLayout.Declared("conv1.weight", new int[]{5, 1, 2, 2}, ParamGroup.WEIGHTS),
                new ParamLayout.Declared("conv2.weight", new int[]{3, 5, 1, 1}, ParamGroup.WEIGHTS),
                new ParamLayout.Declared("fc.weight", new int[]{4, 3}, ParamGroup.WEIGHTS))));
        float[] fc = new float[12];
        java.util.Arrays.fill(fc, 0.1f);
        be.upload(MemorySegment.ofArray(fc), s.values().of("fc.weight"));
        return s;
    }

    private static float[] ramp(int n) {
        float[] out = new float[n];
        for (int i = 0; i < n; i++) out[i] = i + 1;
        return out;
    }
}
