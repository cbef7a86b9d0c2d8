package io.sparsestep.backend.cpu;

import io.sparsestep.backend.Tensor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.util.Random;

import static io.sparsestep.backend.cpu.CpuTestSupport.*;
import static org.junit.jupiter.api.Assertions.*;

/** Softmax cross-entropy: loss, accuracy and gradient against a double reference, stability, label checks, finite differences. */
class CpuSoftmaxCrossEntropyTest {
    private static CpuBackend be;

    @BeforeAll
    static void start() {
        be = new CpuBackend(2);
    }

    @AfterAll
    static void stop() {
        be.close();
    }

    private static float[] labels(Random r, int n, int classes) {
        float[] l = new float[n];
        for (int i = 0; i < n; i++) l[i] = r.nextInt(classes);
        return l;
    }

    @Test
    void lossAccuracyAndGradientMatchADoubleReference() {
        Random r = new Random(1);
        for (int[] shape : new int[][]{{1, 1}, {1, 10}, {3, 7}, {129, 10}, {2000, 33}}) {
            int n = shape[0], classes = shape[1];
            float[] logits = random(r, n * classes), lab = labels(r, n, classes);
            for (int i = 0; i < logits.length; i++) logits[i] *= 3;
            Tensor tl = tensor(be, logits, n, classes), tlab = tensor(be, lab, n), td = zeros(be, n, classes), res = zeros(be, 2);
            float scale = 1f / n;
            be.loss().softmaxCrossEntropy(tl, tlab, n, classes, td, scale, res);
            double loss = 0;
            int correct = 0;
            double[] grad = new double[n * classes];
            for (int i = 0; i < n; i++) {
                double z = 0;
                int arg = 0;
                for (int j = 0; j < classes; j++) {
                    z += Math.exp(logits[i * classes + j]);
                    if (logits[i * classes + j] > logits[i * classes + arg]) arg = j;
                }
                int y = (int) lab[i];
                loss += -Math.log(Math.exp(logits[i * classes + y]) / z);
                if (arg == y) correct++;
                for (int j = 0; j < classes; j++) grad[i * classes + j] = (Math.exp(logits[i * classes + j]) / z - (j == y ? 1 : 0)) * scale;
            }
            float[] out = read(be, res);
            assertClose(loss, out[0], 1e-5, 1e-6, "loss " + n + "x" + classes);
            assertEquals(correct, out[1], "correct " + n + "x" + classes);
            assertClose(grad, read(be, td), 1e-4, 1e-7, "dlogits " + n + "x" + classes);
        }
    }

    @Test
    void hugeLogitsStayFiniteAndTiesPredictTheFirstMaximum() {
        // exp(1000) overflows; the shifted form gives loss log(1 + e^-1000) ~ 0 for row 0 and log 2 for row 1.
        float[] logits = {1000, 0, 500, 500};
        Tensor tl = tensor(be, logits, 2, 2), td = zeros(be, 2, 2), res = zeros(be, 2);
        be.loss().softmaxCrossEntropy(tl, tensor(be, new float[]{0, 1}, 2), 2, 2, td, 1f, res);
        float[] out = read(be, res);
        assertEquals(Math.log(2), out[0], 1e-6);
        assertEquals(1f, out[1], "row 1 ties: the first maximum (class 0) is predicted, label 1 is not hit");
        assertArrayEquals(new float[]{0, 0, 0.5f, -0.5f}, read(be, td), 1e-7f);
        // Without a gradient view only the loss is computed.
        be.loss().softmaxCrossEntropy(tl, tensor(be, new float[]{0, 0}, 2), 2, 2, null, 1f, res);
        assertEquals(2f, read(be, res)[1]);
    }

    @Test
    void rejectsLabelsThatAreNotClassIndices() {
        Tensor tl = zeros(be, 2, 3), res = zeros(be, 2);
        for (float bad : new float[]{3, -1, 1.5f, Float.NaN}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> be.loss().softmaxCrossEntropy(tl, tensor(be, new float[]{0, bad}, 2), 2, 3, null, 1f, res));
            assertTrue(e.getMessage().contains("row 1"), e.getMessage());
        }
    }

    @Test
    void gradientMatchesFiniteDifferencesOfTheLoss() {
        Random r = new Random(2);
        int n = 4, classes = 5;
        float[] logits = random(r, n * classes), lab = labels(r, n, classes);
        Tensor tl = tensor(be, logits, n, classes), tlab = tensor(be, lab, n), td = zeros(be, n, classes), res = zeros(be, 2);
        float scale = 0.25f;
        be.loss().softmaxCrossEntropy(tl, tlab, n, classes, td, scale, res);
        float[] grad = read(be, td);
        float h = 1e-2f;
        for (int i = 0; i < logits.length; i++) {
            float[] p = logits.clone(), m = logits.clone();
            p[i] += h;
            m[i] -= h;
            be.upload(MemorySegment.ofArray(p), tl);
            be.loss().softmaxCrossEntropy(tl, tlab, n, classes, null, scale, res);
            double lp = read(be, res)[0] * scale;
            be.upload(MemorySegment.ofArray(m), tl);
            be.loss().softmaxCrossEntropy(tl, tlab, n, classes, null, scale, res);
            double lm = read(be, res)[0] * scale;
            assertClose((lp - lm) / (p[i] - m[i]), grad[i], 1e-2, 1e-4, "d loss / d logit[" + i + "]");
        }
    }
}
