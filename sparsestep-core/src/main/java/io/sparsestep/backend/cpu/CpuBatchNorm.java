package io.sparsestep.backend.cpu;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Batch normalisation of one channel at a time over an [n, channels, spatial] tensor; the
 * channel's elements are {@code n} runs of {@code spatial} contiguous floats. Statistics
 * and reductions are accumulated in double (two passes for the variance) so the CPU
 * reference is at least as accurate as any GPU twin it is compared with. Segments here are
 * zero-based views of exactly the tensors the backend was handed.
 */
final class CpuBatchNorm {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT;

    private CpuBatchNorm() {
    }

    static void forwardTraining(int n, int channels, int spatial, int ch, MemorySegment x, MemorySegment y,
                                MemorySegment gamma, MemorySegment beta, MemorySegment runningMean, MemorySegment runningVar,
                                MemorySegment saveMean, MemorySegment saveInvStd, float momentum, float eps) {
        long count = (long) n * spatial;
        double sum = 0;
        for (int i = 0; i < n; i++) {
            long base = ((long) i * channels + ch) * spatial;
            for (int s = 0; s < spatial; s++) sum += x.getAtIndex(F, base + s);
        }
        double mean = sum / count;
        double squares = 0;
        for (int i = 0; i < n; i++) {
            long base = ((long) i * channels + ch) * spatial;
            for (int s = 0; s < spatial; s++) {
                double d = x.getAtIndex(F, base + s) - mean;
                squares += d * d;
            }
        }
        double var = squares / count;
        double invStd = 1.0 / Math.sqrt(var + eps);
        normalise(n, channels, spatial, ch, x, y, gamma, beta, mean, invStd);
        saveMean.setAtIndex(F, ch, (float) mean);
        saveInvStd.setAtIndex(F, ch, (float) invStd);
        double unbiased = var * count / (count - 1);
        runningMean.setAtIndex(F, ch, (float) ((1 - momentum) * runningMean.getAtIndex(F, ch) + momentum * mean));
        runningVar.setAtIndex(F, ch, (float) ((1 - momentum) * runningVar.getAtIndex(F, ch) + momentum * unbiased));
    }

    static void forwardInference(int n, int channels, int spatial, int ch, MemorySegment x, MemorySegment y,
                                 MemorySegment gamma, MemorySegment beta, MemorySegment runningMean, MemorySegment runningVar,
                                 float eps) {
        double invStd = 1.0 / Math.sqrt((double) runningVar.getAtIndex(F, ch) + eps);
        normalise(n, channels, spatial, ch, x, y, gamma, beta, runningMean.getAtIndex(F, ch), invStd);
    }

    /** y = (x - mean) * invStd * gamma + beta, folded into one multiply-add per element. */
    private static void normalise(int n, int channels, int spatial, int ch, MemorySegment x, MemorySegment y,
                                  MemorySegment gamma, MemorySegment beta, double mean, double invStd) {
        double scale = gamma.getAtIndex(F, ch) * invStd;
        double shift = beta.getAtIndex(F, ch) - mean * scale;
        float fs = (float) scale, ft = (float) shift;
        for (int i = 0; i < n; i++) {
            long base = ((long) i * channels + ch) * spatial;
            for (int s = 0; s < spatial; s++) y.setAtIndex(F, base + s, x.getAtIndex(F, base + s) * fs + ft);
        }
    }

    /**
     * With xhat = (x - mean) * invStd and M = n * spatial: dbeta = sum dy,
     * dgamma = sum dy * xhat, dx = gamma * invStd * (dy - dbeta/M - xhat * dgamma/M).
     */
    static void backward(int n, int channels, int spatial, int ch, MemorySegment x, MemorySegment dy, MemorySegment gamma,
                         MemorySegment saveMean, MemorySegment saveInvStd, MemorySegment dx, MemorySegment dgamma,
                         MemorySegment dbeta) {
        long count = (long) n * spatial;
        double mean = saveMean.getAtIndex(F, ch), invStd = saveInvStd.getAtIndex(F, ch);
        double sumDy = 0, sumDyXhat = 0;
        for (int i = 0; i < n; i++) {
            long base = ((long) i * channels + ch) * spatial;
            for (int s = 0; s < spatial; s++) {
                double g = dy.getAtIndex(F, base + s);
                sumDy += g;
                sumDyXhat += g * (x.getAtIndex(F, base + s) - mean) * invStd;
            }
        }
        dbeta.setAtIndex(F, ch, (float) sumDy);
        dgamma.setAtIndex(F, ch, (float) sumDyXhat);
        double k = gamma.getAtIndex(F, ch) * invStd;
        double meanDy = sumDy / count, meanDyXhat = sumDyXhat / count;
        for (int i = 0; i < n; i++) {
            long base = ((long) i * channels + ch) * spatial;
            for (int s = 0; s < spatial; s++) {
                double xhat = (x.getAtIndex(F, base + s) - mean) * invStd;
                dx.setAtIndex(F, base + s, (float) (k * (dy.getAtIndex(F, base + s) - meanDy - xhat * meanDyXhat)));
            }
        }
    }
}
