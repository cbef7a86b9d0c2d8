package io.sparsestep.backend.cpu;

import io.sparsestep.backend.Backend;
import io.sparsestep.backend.Tensor;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static io.sparsestep.backend.cpu.CpuTestSupport.read;
import static io.sparsestep.testing.Bits.assertSameBits;
import static io.sparsestep.backend.cpu.CpuTestSupport.tensor;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * {@link CpuVectorOps} against plain scalar Java: axpy and scale bit for bit at sizes that
 * reach the vector body and the tail for any lane count up to 16 and cross the parallel
 * chunk size; dot and norm against a double reference summed in chunk order, and the
 * same bits with one thread or two (a fixed order, not the workers').
 */
class CpuVectorOpsTest {
    /** Below a vector, several vectors plus a tail for 4-16 lanes, and more than one 65536-element chunk. */
    private static final int[] SIZES = {1, 15, 33, 1027, 2 * CpuBackend.CHUNK + 37};

    private static float[] random(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) (4 * r.nextDouble() - 2);
        return v;
    }

    @Test
    void axpyAndScaleMatchScalarFloatArithmeticBitForBit() {
        try (CpuBackend be = new CpuBackend(2)) {
            for (int n : SIZES) {
                float[] x = random(n, n), y = random(n, n + 1);
                Tensor xt = tensor(be, x, n), yt = tensor(be, y, n);
                be.vectors().axpy(-0.37f, xt, yt);
                float[] got = read(be, yt);
                for (int i = 0; i < n; i++) assertSameBits(y[i] + -0.37f * x[i], got[i], "axpy n=" + n + " at " + i);
                be.vectors().scale(yt, 1.5f);
                float[] scaled = read(be, yt);
                for (int i = 0; i < n; i++) assertSameBits(1.5f * got[i], scaled[i], "scale n=" + n + " at " + i);
            }
        }
    }

    @Test
    void dotAndNormSumInAFixedOrderWhateverTheThreadCount() {
        for (int n : SIZES) {
            float[] x = random(n, 7 * n), y = random(n, 7 * n + 1);
            double[] dots = new double[2], norms = new double[2];
            for (int threads = 1; threads <= 2; threads++) {
                try (CpuBackend be = new CpuBackend(threads)) {
                    dots[threads - 1] = be.vectors().dot(tensor(be, x, n), tensor(be, y, n));
                    norms[threads - 1] = be.vectors().norm(tensor(be, x, n));
                }
            }
            assertEquals(Double.doubleToRawLongBits(dots[0]), Double.doubleToRawLongBits(dots[1]), "dot n=" + n);
            assertEquals(Double.doubleToRawLongBits(norms[0]), Double.doubleToRawLongBits(norms[1]), "norm n=" + n);
            assertEquals(chunkOrderedDot(x, y), dots[0], 0.0, "dot n=" + n + " vs the documented order");
            assertEquals(Math.sqrt(chunkOrderedDot(x, x)), norms[0], 0.0, "norm n=" + n);
        }
    }

    @Test
    void mismatchedSizesAndMasksAsVectorsAreRefused() {
        try (Backend be = new CpuBackend(1)) {
            Tensor a = tensor(be, new float[5], 5), b = tensor(be, new float[4], 4);
            assertThrows(IllegalArgumentException.class, () -> be.vectors().axpy(1f, a, b));
            Tensor bytes = new Tensor(a.buffer(), io.sparsestep.backend.DType.U8, 0, 8);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> be.vectors().scale(bytes, 2f));
            assertEquals(true, e.getMessage().contains("holds U8; this op takes F32"), e.getMessage());
        }
    }

    /** The documented order: each CHUNK-element chunk summed from its start in double, chunk sums added in order. */
    private static double chunkOrderedDot(float[] x, float[] y) {
        double total = 0;
        for (int c = 0; c < x.length; c += CpuBackend.CHUNK) {
            double s = 0;
            for (int i = c; i < Math.min(x.length, c + CpuBackend.CHUNK); i++) s += (double) x[i] * (double) y[i];
            total += s;
        }
        return total;
    }

    @Test
    void addScaledSignAddsTheL1SubgradientWithSignOfZeroZero() {
        try (CpuBackend be = new CpuBackend(2)) {
            Tensor x = tensor(be, new float[]{2f, -0.5f, 0f, -0f, Float.NaN}, 5);
            Tensor y = tensor(be, new float[]{1f, 1f, 1f, 1f, 1f}, 5);
            be.vectors().addScaledSign(0.25f, x, y);
            float[] out = read(be, y);
            org.junit.jupiter.api.Assertions.assertArrayEquals(new float[]{1.25f, 0.75f, 1f, 1f, Float.NaN}, out);
        }
    }
}
