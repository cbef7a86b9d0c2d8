package io.sparsestep.backend.cpu;

import io.sparsestep.backend.Tensor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.util.Random;

import static io.sparsestep.backend.cpu.CpuTestSupport.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * Batch norm against a double reference (relative 1e-4): forward statistics, PyTorch's
 * running-statistics update with the unbiased variance, inference, and a backward pass
 * checked both against the textbook chain rule (through mean and variance separately) and
 * against finite differences of the training-mode forward pass.
 */
class CpuBatchNormTest {
    private static CpuBackend one, three;
    private static final int[][] SHAPES = {{3, 4, 5}, {7, 3, 1}, {2, 33, 9}, {1, 2, 7}, {3, 2, 37}};
    private static final float EPS = 1e-5f, MOMENTUM = 0.1f;

    @BeforeAll
    static void start() {
        one = new CpuBackend(1);
        three = new CpuBackend(3);
    }

    @AfterAll
    static void stop() {
        one.close();
        three.close();
    }

    private static int at(int i, int ch, int s, int channels, int spatial) {
        return (i * channels + ch) * spatial + s;
    }

    /** Batch statistics {mean, biased var} of one channel. */
    private static double[] stats(float[] x, int n, int channels, int spatial, int ch) {
        double sum = 0, sq = 0;
        for (int i = 0; i < n; i++) for (int s = 0; s < spatial; s++) sum += x[at(i, ch, s, channels, spatial)];
        double mean = sum / (n * spatial);
        for (int i = 0; i < n; i++)
            for (int s = 0; s < spatial; s++) {
                double d = x[at(i, ch, s, channels, spatial)] - mean;
                sq += d * d;
            }
        return new double[]{mean, sq / (n * spatial)};
    }

    private record Setup(Tensor x, Tensor y, Tensor gamma, Tensor beta, Tensor rm, Tensor rv, Tensor sm, Tensor si,
                         float[] xs, float[] gs, float[] bs, float[] rms, float[] rvs) {
    }

    private static Setup setup(CpuBackend be, Random r, int n, int c, int s) {
        float[] x = random(r, n * c * s), gamma = random(r, c), beta = random(r, c), rm = random(r, c), rv = new float[c];
        for (int i = 0; i < n * c * s; i++) x[i] = x[i] * 2 + 0.5f;
        for (int i = 0; i < c; i++) rv[i] = 0.5f + r.nextFloat();
        return new Setup(tensor(be, x, n, c, s), zeros(be, n, c, s), tensor(be, gamma, c), tensor(be, beta, c),
                tensor(be, rm, c), tensor(be, rv, c), zeros(be, c), zeros(be, c), x, gamma, beta, rm, rv);
    }

    @Test
    void trainingForwardNormalisesAndUpdatesRunningStatistics() {
        Random r = new Random(1);
        for (CpuBackend be : new CpuBackend[]{one, three}) {
            for (int[] shape : SHAPES) {
                int n = shape[0], c = shape[1], s = shape[2], m = n * s;
                Setup t = setup(be, r, n, c, s);
                be.batchNormForwardTraining(n, c, s, t.x, t.y, t.gamma, t.beta, t.rm, t.rv, t.sm, t.si, MOMENTUM, EPS);
                double[] y = new double[n * c * s], mean = new double[c], inv = new double[c], rm = new double[c], rv = new double[c];
                for (int ch = 0; ch < c; ch++) {
                    double[] st = stats(t.xs, n, c, s, ch);
                    mean[ch] = st[0];
                    inv[ch] = 1 / Math.sqrt(st[1] + EPS);
                    rm[ch] = (1 - MOMENTUM) * t.rms[ch] + MOMENTUM * st[0];
                    rv[ch] = (1 - MOMENTUM) * t.rvs[ch] + MOMENTUM * st[1] * m / (m - 1);
                    for (int i = 0; i < n; i++)
                        for (int q = 0; q < s; q++) {
                            int k = at(i, ch, q, c, s);
                            y[k] = t.gs[ch] * (t.xs[k] - st[0]) * inv[ch] + t.bs[ch];
                        }
                }
                String what = n + "x" + c + "x" + s + " on " + be.threads() + " threads";
                assertClose(y, read(be, t.y), 1e-4, 1e-5, "y " + what);
                assertClose(mean, read(be, t.sm), 1e-5, 1e-6, "saveMean " + what);
                assertClose(inv, read(be, t.si), 1e-5, 1e-6, "saveInvStd " + what);
                assertClose(rm, read(be, t.rm), 1e-5, 1e-6, "runningMean " + what);
                assertClose(rv, read(be, t.rv), 1e-5, 1e-6, "runningVar (unbiased) " + what);
            }
        }
    }

    @Test
    void inferenceUsesTheRunningStatistics() {
        Random r = new Random(2);
        for (int[] shape : SHAPES) {
            int n = shape[0], c = shape[1], s = shape[2];
            Setup t = setup(three, r, n, c, s);
            three.batchNormForwardInference(n, c, s, t.x, t.y, t.gamma, t.beta, t.rm, t.rv, EPS);
            double[] y = new double[n * c * s];
            for (int k = 0; k < y.length; k++) {
                int ch = (k / s) % c;
                y[k] = t.gs[ch] * (t.xs[k] - t.rms[ch]) / Math.sqrt(t.rvs[ch] + (double) EPS) + t.bs[ch];
            }
            assertClose(y, read(three, t.y), 1e-4, 1e-5, "inference " + n + "x" + c + "x" + s);
        }
    }

    @Test
    void backwardMatchesTheChainRuleThroughMeanAndVariance() {
        Random r = new Random(3);
        for (CpuBackend be : new CpuBackend[]{one, three}) {
            for (int[] shape : SHAPES) {
                int n = shape[0], c = shape[1], s = shape[2], m = n * s;
                Setup t = setup(be, r, n, c, s);
                float[] dy = random(r, n * c * s);
                Tensor tdy = tensor(be, dy, n, c, s), dx = zeros(be, n, c, s), dg = zeros(be, c), db = zeros(be, c);
                be.batchNormForwardTraining(n, c, s, t.x, t.y, t.gamma, t.beta, t.rm, t.rv, t.sm, t.si, MOMENTUM, EPS);
                be.batchNormBackward(n, c, s, t.x, tdy, t.gamma, t.sm, t.si, dx, dg, db, EPS);
                double[] edx = new double[n * c * s], edg = new double[c], edb = new double[c];
                for (int ch = 0; ch < c; ch++) {
                    double[] st = stats(t.xs, n, c, s, ch);
                    double mu = st[0], var = st[1], inv = 1 / Math.sqrt(var + EPS);
                    double dvar = 0, dmean = 0, centred = 0;
                    for (int i = 0; i < n; i++)
                        for (int q = 0; q < s; q++) {
                            int k = at(i, ch, q, c, s);
                            double dxhat = dy[k] * t.gs[ch];
                            edb[ch] += dy[k];
                            edg[ch] += dy[k] * (t.xs[k] - mu) * inv;
                            dvar += dxhat * (t.xs[k] - mu) * -0.5 * Math.pow(var + EPS, -1.5);
                            dmean += -dxhat * inv;
                            centred += -2 * (t.xs[k] - mu) / m;
                        }
                    dmean += dvar * centred;
                    for (int i = 0; i < n; i++)
                        for (int q = 0; q < s; q++) {
                            int k = at(i, ch, q, c, s);
                            edx[k] = dy[k] * t.gs[ch] * inv + dvar * 2 * (t.xs[k] - mu) / m + dmean / m;
                        }
                }
                String what = n + "x" + c + "x" + s + " on " + be.threads() + " threads";
                assertClose(edx, read(be, dx), 1e-4, 1e-5, "dx " + what);
                assertClose(edg, read(be, dg), 1e-4, 1e-5, "dgamma " + what);
                assertClose(edb, read(be, db), 1e-4, 1e-5, "dbeta " + what);
            }
        }
    }

    @Test
    void backwardMatchesFiniteDifferences() {
        Random r = new Random(4);
        int n = 3, c = 2, s = 4;
        Setup t = setup(three, r, n, c, s);
        float[] weights = random(r, n * c * s);
        Tensor tw = tensor(three, weights, n, c, s), dx = zeros(three, n, c, s), dg = zeros(three, c), db = zeros(three, c);
        three.batchNormForwardTraining(n, c, s, t.x, t.y, t.gamma, t.beta, t.rm, t.rv, t.sm, t.si, MOMENTUM, EPS);
        three.batchNormBackward(n, c, s, t.x, tw, t.gamma, t.sm, t.si, dx, dg, db, EPS);
        float[] gdx = read(three, dx), gdg = read(three, dg), gdb = read(three, db);
        float h = 1e-2f;
        Tensor[] inputs = {t.x, t.gamma, t.beta};
        float[][] values = {t.xs, t.gs, t.bs}, grads = {gdx, gdg, gdb};
        String[] names = {"x", "gamma", "beta"};
        for (int which = 0; which < 3; which++) {
            for (int i = 0; i < values[which].length; i++) {
                float[] p = values[which].clone(), q = values[which].clone();
                p[i] += h;
                q[i] -= h;
                three.upload(MemorySegment.ofArray(p), inputs[which]);
                three.batchNormForwardTraining(n, c, s, t.x, t.y, t.gamma, t.beta, t.rm, t.rv, t.sm, t.si, MOMENTUM, EPS);
                double lp = dot(read(three, t.y), weights);
                three.upload(MemorySegment.ofArray(q), inputs[which]);
                three.batchNormForwardTraining(n, c, s, t.x, t.y, t.gamma, t.beta, t.rm, t.rv, t.sm, t.si, MOMENTUM, EPS);
                double lm = dot(read(three, t.y), weights);
                three.upload(MemorySegment.ofArray(values[which]), inputs[which]);
                assertClose((lp - lm) / (p[i] - q[i]), grads[which][i], 1e-2, 2e-3, "d/d" + names[which] + "[" + i + "]");
            }
        }
    }

    @Test
    void trainingModeRejectsASingleValuePerChannel() {
        Setup t = setup(one, new Random(5), 1, 2, 1);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () ->
                one.batchNormForwardTraining(1, 2, 1, t.x, t.y, t.gamma, t.beta, t.rm, t.rv, t.sm, t.si, MOMENTUM, EPS));
        assertTrue(e.getMessage().contains("more than one value per channel"), e.getMessage());
    }
}
