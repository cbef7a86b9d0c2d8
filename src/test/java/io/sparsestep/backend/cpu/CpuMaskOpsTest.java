package io.sparsestep.backend.cpu;

import io.sparsestep.backend.Buffer;
import io.sparsestep.backend.DType;
import io.sparsestep.backend.Tensor;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;

import static io.sparsestep.backend.cpu.CpuTestSupport.read;
import static io.sparsestep.backend.cpu.CpuTestSupport.tensor;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** {@link CpuMaskOps}: the tie rule, NaN kept, pruned entries +0.0, counts, and views at odd byte offsets. */
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
}
