package io.sparsestep.params;

import io.sparsestep.backend.cpu.CpuBackend;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** A mask over the prunable weights: one byte each, computed from magnitudes, applied to weights and gradients, counted. */
class MaskTest {
    private static ParamSpace space(CpuBackend be) {
        return ParamSpace.allocate(be, ParamLayout.of(List.of(new ParamLayout.Declared("fc.weight", new int[] {2, 3}, ParamGroup.WEIGHTS),
                new ParamLayout.Declared("fc.bias", new int[] {2}, ParamGroup.BIAS_AND_NORM),
                new ParamLayout.Declared("out.weight", new int[] {1, 2}, ParamGroup.WEIGHTS))));
    }

    @Test
    void aMaskFromMagnitudesPrunesWeightsAndTheirGradientsButNeverBiases() {
        try (CpuBackend be = new CpuBackend(1); ParamSpace s = space(be); Mask mask = Mask.keepingAll(s, "mask")) {
            assertEquals(8, mask.size(), "6 + 2 prunable weights; the bias is not under the mask");
            assertEquals(8, mask.kept());
            float[] w = s.values().toHost();
            long wOff = s.layout().require("fc.weight").offset(), bOff = s.layout().require("fc.bias").offset();
            long oOff = s.layout().require("out.weight").offset();
            float[] fc = {0.5f, -0.1f, 0.3f, -0.3f, 0.05f, -2f}, out = {0.3f, 0.31f};
            for (int i = 0; i < 6; i++) w[(int) wOff + i] = fc[i];
            w[(int) bOff] = 0.01f;
            w[(int) bOff + 1] = -0.01f;
            w[(int) oOff] = out[0];
            w[(int) oOff + 1] = out[1];
            s.values().fromHost(w);
            mask.keepAbove(s.values(), 0.3f); // 0.3 and -0.3 are ties: pruned
            assertArrayEquals(new byte[] {1, 0, 0, 0, 0, 1}, read(mask, "fc.weight"));
            assertArrayEquals(new byte[] {0, 1}, read(mask, "out.weight"));
            assertEquals(3, mask.kept());
            mask.applyTo(s.values());
            float[] after = s.values().toHost();
            assertEquals(0.01f, after[(int) bOff], "biases are never masked");
            assertEquals(Float.floatToRawIntBits(0f), Float.floatToRawIntBits(after[(int) wOff + 1]), "pruned -0.1 is +0.0");
            assertEquals(-2f, after[(int) wOff + 5]);
            java.util.Arrays.fill(w, 1f);
            s.grads().fromHost(w);
            mask.applyTo(s.grads());
            float[] g = s.grads().toHost();
            assertEquals(0f, g[(int) wOff + 1]);
            assertEquals(1f, g[(int) wOff], "a kept weight's gradient stays");
            assertEquals(1f, g[(int) bOff], "a bias gradient stays");
            byte[] bytes = mask.toHost();
            mask.keepAll();
            assertEquals(8, mask.kept());
            mask.fromHost(bytes);
            assertEquals(3, mask.kept(), "host round trip");
            assertEquals(5.0 / 8, io.sparsestep.train.Sparsity.masked(mask).fraction());
        }
    }

    @Test
    void maskMemoryIsAQuarterOfTheWeightsAndBiasesAreRefused() {
        try (CpuBackend be = new CpuBackend(1); ParamSpace s = space(be)) {
            long before = be.bytesInUse();
            try (Mask mask = Mask.keepingAll(s, "mask")) {
                assertEquals(4 * io.sparsestep.backend.DType.U8.wordsFor(8), be.bytesInUse() - before, "8 weights: 8 bytes, in 32-bit words");
                assertThrows(IllegalArgumentException.class, () -> mask.of("fc.bias"));
            }
        }
    }

    private static byte[] read(Mask mask, String name) {
        var t = mask.of(name);
        byte[] out = new byte[(int) t.size()];
        mask.backend().download(t, java.lang.foreign.MemorySegment.ofArray(out));
        return out;
    }
}
