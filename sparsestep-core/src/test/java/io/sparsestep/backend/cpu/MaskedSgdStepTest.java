package io.sparsestep.backend.cpu;

import io.sparsestep.backend.DType;
import io.sparsestep.backend.Tensor;
import io.sparsestep.testing.SgdVariant;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;

import static io.sparsestep.testing.Bits.assertSameBits;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * {@link CpuFusedSteps#maskedSgdStep}, the raw-memory entry of the masked SGD step (the DJL
 * adapter's per-tensor GMP step), is the backend's {@code StepOps.maskedSgd} bit for bit: the
 * weights and the momentum buffer, every SGD variant, first and later steps, with and without
 * zeroing the pruned weights, on 2 * 65,536 + 3 elements (three of the backend's chunks on two
 * workers against one pass, and a scalar tail) with about a third pruned.
 */
class MaskedSgdStepTest {
    private static final int N = 2 * 65_536 + 3;

    @Test
    void itIsTheBackendsMaskedSgdBitForBit() {
        Random rng = new Random(17);
        try (CpuBackend be = new CpuBackend(2); Arena arena = Arena.ofConfined()) {
            for (SgdVariant v : SgdVariant.ALL) {
                for (boolean zeroPruned : new boolean[] {false, true}) {
                    float[] w = CpuTestSupport.random(rng, N), buf = CpuTestSupport.random(rng, N);
                    byte[] mask = new byte[N];
                    for (int i = 0; i < N; i++) mask[i] = (byte) (rng.nextInt(3) == 0 ? 0 : 1);
                    Tensor tw = CpuTestSupport.tensor(be, w, N), tb = CpuTestSupport.tensor(be, buf, N);
                    Tensor tm = new Tensor(be.allocate(DType.U8.wordsFor(N), "mask"), DType.U8, 0, N);
                    be.upload(MemorySegment.ofArray(mask), tm);
                    MemorySegment sw = copy(arena, w), sb = copy(arena, buf), sm = arena.allocate(N);
                    MemorySegment.copy(mask, 0, sm, ValueLayout.JAVA_BYTE, 0, N);
                    for (int step = 1; step <= 2; step++) {
                        float[] g = CpuTestSupport.random(rng, N);
                        Tensor tg = CpuTestSupport.tensor(be, g, N);
                        be.steps().maskedSgd(tw, tg, v.momentum() != 0 ? tb : null, tm, 0.1f, v.momentum(), v.dampening(), v.weightDecay(),
                                v.nesterov(), step == 1, zeroPruned);
                        CpuFusedSteps.maskedSgdStep(sw, copy(arena, g), sb, sm, N, 0.1f, v.momentum(), v.dampening(), v.weightDecay(),
                                v.nesterov(), step == 1, zeroPruned);
                        String what = v + " zeroPruned " + zeroPruned + " step " + step;
                        assertSameBits(CpuTestSupport.read(be, tw), sw.toArray(ValueLayout.JAVA_FLOAT), "w " + what);
                        if (v.momentum() != 0) assertSameBits(CpuTestSupport.read(be, tb), sb.toArray(ValueLayout.JAVA_FLOAT), "buf " + what);
                    }
                }
            }
            MemorySegment w = arena.allocate(4L * N), shortMask = arena.allocate(N - 1);
            assertThrows(IllegalArgumentException.class,
                    () -> CpuFusedSteps.maskedSgdStep(w, w, null, shortMask, N, 0.1f, 0f, 0f, 0f, false, true, true));
        }
    }

    private static MemorySegment copy(Arena arena, float[] values) {
        MemorySegment s = arena.allocate(4L * values.length, 64);
        MemorySegment.copy(values, 0, s, ValueLayout.JAVA_FLOAT, 0, values.length);
        return s;
    }
}
