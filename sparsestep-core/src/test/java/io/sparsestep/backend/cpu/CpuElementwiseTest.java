package io.sparsestep.backend.cpu;

import io.sparsestep.backend.Buffer;
import io.sparsestep.backend.Tensor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.Random;

import static io.sparsestep.backend.cpu.CpuTestSupport.*;
import static io.sparsestep.testing.Bits.assertSameBits;
import static org.junit.jupiter.api.Assertions.*;

/**
 * fill, copy, add, countZeros, readCounter, relu and the bias ops. Sizes include 1, 7, 33
 * and 100003 (past one parallel chunk, not a multiple of any vector width), so vector
 * bodies, scalar tails and the chunk split all run.
 */
class CpuElementwiseTest {
    private static CpuBackend be;
    private static final int[] SIZES = {1, 7, 33, 100_003};

    @BeforeAll
    static void start() {
        be = new CpuBackend(3);
    }

    @AfterAll
    static void stop() {
        be.close();
    }

    @Test
    void fillWritesEveryElementAndNothingAroundTheView() {
        for (int n : SIZES) {
            Buffer b = be.allocate(n + 10, "fill");
            Tensor t = new Tensor(b, 3, n);
            be.elementwise().fill(t, 2.5f);
            float[] all = read(be, new Tensor(b, 0, n + 10));
            for (int i = 0; i < n + 10; i++) assertEquals(i >= 3 && i < 3 + n ? 2.5f : 0f, all[i], "element " + i + " of " + n);
            be.elementwise().fill(t, -0f);
            assertEquals(n, be.elementwise().countZeros(t));
            float[] negativeZeros = new float[n];
            Arrays.fill(negativeZeros, -0f);
            assertSameBits(negativeZeros, read(be, t), "fill(-0) keeps the sign, n=" + n);
        }
    }

    @Test
    void copyAndAddMatchScalarLoops() {
        Random r = new Random(1);
        for (int n : SIZES) {
            float[] a = random(r, n), b = random(r, n);
            Tensor ta = tensor(be, a, n), tb = tensor(be, b, n), out = zeros(be, n);
            be.elementwise().add(ta, tb, out);
            float[] sum = new float[n];
            for (int i = 0; i < n; i++) sum[i] = a[i] + b[i];
            assertSameBits(sum, read(be, out), "add, n=" + n);
            be.elementwise().add(ta, tb, ta); // in place
            assertSameBits(sum, read(be, ta), "add in place, n=" + n);
            Tensor reshaped = zeros(be, 1, n);
            be.copy(tb, reshaped);
            assertSameBits(b, read(be, reshaped), "copy, n=" + n);
        }
        assertThrows(IllegalArgumentException.class, () -> be.copy(zeros(be, 3), zeros(be, 4)));
        assertThrows(IllegalArgumentException.class, () -> be.elementwise().add(zeros(be, 3), zeros(be, 3), zeros(be, 2)));
    }

    @Test
    void countZerosCountsBothSignedZerosButNotNaN() {
        for (int n : SIZES) {
            float[] a = new float[n];
            long expected = 0;
            for (int i = 0; i < n; i++) {
                a[i] = switch (i % 5) {
                    case 0 -> 0f;
                    case 1 -> -0f;
                    case 2 -> Float.NaN;
                    case 3 -> Float.MIN_VALUE;
                    default -> -1f;
                };
                if (i % 5 < 2) expected++;
            }
            assertEquals(expected, be.elementwise().countZeros(tensor(be, a, n)), "size " + n);
        }
    }

    @Test
    void readCounterIsUnsigned() {
        Buffer b = be.allocate(4, "counter");
        ((CpuBuffer) b).segment().set(ValueLayout.JAVA_INT, 4, -2); // word 1 = 0xFFFFFFFE
        assertEquals(0xFFFF_FFFEL, be.readCounter(new Tensor(b, 1, 1)));
        assertEquals(0, be.readCounter(new Tensor(b, 0, 1)));
    }

    @Test
    void reluForwardAndBackward() {
        Random r = new Random(2);
        for (int n : SIZES) {
            float[] x = random(r, n), dy = random(r, n);
            if (n > 2) {
                x[0] = -0f;
                x[1] = 0f;
            }
            Tensor tx = tensor(be, x, n), ty = zeros(be, n), tdy = tensor(be, dy, n), tdx = zeros(be, n);
            be.elementwise().reluForward(tx, ty);
            // the zeros relu writes are +0.0, also for an input of -0.0
            float[] y = new float[n], dx = new float[n];
            for (int i = 0; i < n; i++) {
                y[i] = x[i] > 0 ? x[i] : +0.0f;
                dx[i] = x[i] > 0 ? dy[i] : +0.0f;
            }
            assertSameBits(y, read(be, ty), "relu, n=" + n);
            be.elementwise().reluBackward(ty, tdy, tdx);
            assertSameBits(dx, read(be, tdx), "relu', n=" + n);
            be.elementwise().reluBackward(ty, tdy, tdy); // dx may be dy
            assertSameBits(dx, read(be, tdy), "relu' in place, n=" + n);
            be.elementwise().reluForward(tx, tx); // y may be x
            assertSameBits(y, read(be, tx), "relu in place, n=" + n);
        }
    }

    @Test
    void biasAddAndGradientOverChannels() {
        Random r = new Random(3);
        for (int[] s : new int[][]{{1, 1, 1}, {3, 7, 1}, {2, 33, 9}, {5, 4, 49}, {129, 300, 1}}) {
            int n = s[0], c = s[1], sp = s[2];
            float[] y = random(r, n * c * sp), bias = random(r, c);
            Tensor ty = tensor(be, y, n, c, sp), tb = tensor(be, bias, c);
            be.elementwise().addBias(ty, tb, n, c, sp);
            float[] expected = new float[y.length];
            for (int i = 0; i < y.length; i++) expected[i] = y[i] + bias[(i / sp) % c];
            assertSameBits(expected, read(be, ty), "addBias " + n + "x" + c + "x" + sp);
            Tensor db = tensor(be, random(r, c), c);
            be.elementwise().biasGradient(tensor(be, y, n, c, sp), db, n, c, sp);
            double[] grad = new double[c];
            for (int i = 0; i < y.length; i++) grad[(i / sp) % c] += y[i];
            assertClose(grad, read(be, db), 1e-5, 1e-5 * Math.sqrt(n * sp), "biasGradient " + n + "x" + c + "x" + sp);
        }
    }

    @Test
    void uploadAndDownloadCheckTheHostSize() {
        Tensor t = zeros(be, 8);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> be.upload(MemorySegment.ofArray(new float[7]), t));
        assertTrue(e.getMessage().contains("upload"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> be.download(t, MemorySegment.ofArray(new float[7])));
    }
}
