package io.sparsestep.backend.cpu;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Batch normalisation of one channel at a time over an [n, channels, spatial] tensor; the
 * channel's elements are {@code n} runs of {@code spatial} contiguous floats. Statistics
 * and reductions are accumulated in double (two passes for the variance) so the CPU
 * reference is at least as accurate as any GPU twin it is compared with. Segments here are
 * zero-based views of exactly the tensors the backend was handed.
 *
 * <p>The reductions run in double vector lanes: each float vector of {@code L} lanes is
 * widened to {@code L} doubles and added lane-wise, the lanes are summed in lane order at
 * the end of the channel and the scalar tails of each run go to one more double. The order
 * is fixed by the shape alone, so a result never depends on the thread count. The
 * elementwise outputs are float multiply-adds of the centred values.
 *
 * <p>A following ReLU can be fused: the forward passes then clamp in the normalise pass
 * ({@code relu}), the same {@code max(v, 0)} the ReLU op applies, and the backward pass
 * reads the forward's output {@code y} and takes dy only where y > 0 (+0 elsewhere, as the
 * ReLU's gradient writes it), in both its sums pass and its dx pass. Either way every
 * element goes through the same IEEE operations as the separate ops, so the fused results
 * are bitwise those of the composition.
 */
final class CpuBatchNorm {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT;
    private static final ByteOrder ORDER = ByteOrder.nativeOrder();
    private static final VectorSpecies<Double> DS = DoubleVector.SPECIES_PREFERRED;
    /** Floats with as many lanes as DS has doubles (256-bit vectors under AVX-512). */
    private static final VectorSpecies<Float> FS = FloatVector.SPECIES_PREFERRED.withShape(VectorShape.forBitSize(DS.length() * Float.SIZE));
    private static final int L = DS.length();

    private CpuBatchNorm() {
    }

    static void forwardTraining(int n, int channels, int spatial, int ch, MemorySegment x, MemorySegment y,
                                MemorySegment gamma, MemorySegment beta, MemorySegment runningMean, MemorySegment runningVar,
                                MemorySegment saveMean, MemorySegment saveInvStd, float momentum, float eps, boolean relu) {
        long count = (long) n * spatial;
        double mean = sum(n, channels, spatial, ch, x) / count;
        double var = squares(n, channels, spatial, ch, x, mean) / count;
        double invStd = 1.0 / Math.sqrt(var + eps);
        normalise(n, channels, spatial, ch, x, y, gamma, beta, mean, invStd, relu);
        saveMean.setAtIndex(F, ch, (float) mean);
        saveInvStd.setAtIndex(F, ch, (float) invStd);
        double unbiased = var * count / (count - 1);
        runningMean.setAtIndex(F, ch, (float) ((1 - momentum) * runningMean.getAtIndex(F, ch) + momentum * mean));
        runningVar.setAtIndex(F, ch, (float) ((1 - momentum) * runningVar.getAtIndex(F, ch) + momentum * unbiased));
    }

    static void forwardInference(int n, int channels, int spatial, int ch, MemorySegment x, MemorySegment y,
                                 MemorySegment gamma, MemorySegment beta, MemorySegment runningMean, MemorySegment runningVar,
                                 float eps, boolean relu) {
        double invStd = 1.0 / Math.sqrt((double) runningVar.getAtIndex(F, ch) + eps);
        normalise(n, channels, spatial, ch, x, y, gamma, beta, runningMean.getAtIndex(F, ch), invStd, relu);
    }

    private static long base(int i, int channels, int spatial, int ch) {
        return ((long) i * channels + ch) * spatial;
    }

    private static DoubleVector widen(MemorySegment s, long at) {
        return (DoubleVector) FloatVector.fromMemorySegment(FS, s, at * Float.BYTES, ORDER).convertShape(VectorOperators.F2D, DS, 0);
    }

    /** Lanes in lane order, then the tails. */
    private static double total(DoubleVector lanes, double tails) {
        double sum = 0;
        for (int l = 0; l < L; l++) sum += lanes.lane(l);
        return sum + tails;
    }

    /** The channel's sum of x. */
    private static double sum(int n, int channels, int spatial, int ch, MemorySegment x) {
        DoubleVector acc = DoubleVector.zero(DS);
        double tails = 0;
        int bound = spatial - spatial % L;
        for (int i = 0; i < n; i++) {
            long b = base(i, channels, spatial, ch);
            for (int s = 0; s < bound; s += L) acc = acc.add(widen(x, b + s));
            for (int s = bound; s < spatial; s++) tails += x.getAtIndex(F, b + s);
        }
        return total(acc, tails);
    }

    /** The channel's sum of (x - mean)^2. */
    private static double squares(int n, int channels, int spatial, int ch, MemorySegment x, double mean) {
        DoubleVector acc = DoubleVector.zero(DS);
        double tails = 0;
        int bound = spatial - spatial % L;
        for (int i = 0; i < n; i++) {
            long b = base(i, channels, spatial, ch);
            for (int s = 0; s < bound; s += L) {
                DoubleVector d = widen(x, b + s).sub(mean);
                acc = d.fma(d, acc);
            }
            for (int s = bound; s < spatial; s++) {
                double d = x.getAtIndex(F, b + s) - mean;
                tails += d * d;
            }
        }
        return total(acc, tails);
    }

    /** y = (x - mean) * invStd * gamma + beta, folded into one multiply-add per element; then max(y, 0) when {@code relu}. */
    private static void normalise(int n, int channels, int spatial, int ch, MemorySegment x, MemorySegment y,
                                  MemorySegment gamma, MemorySegment beta, double mean, double invStd, boolean relu) {
        double scale = gamma.getAtIndex(F, ch) * invStd;
        double shift = beta.getAtIndex(F, ch) - mean * scale;
        float fs = (float) scale, ft = (float) shift;
        VectorSpecies<Float> vs = FloatVector.SPECIES_PREFERRED;
        // every lane takes the clamped value with a ReLU, none without: a select, not a branch (see backward)
        VectorMask<Float> clamp = FloatVector.broadcast(vs, relu ? 1f : 0f).compare(VectorOperators.GT, 0f);
        int v = vs.length(), bound = spatial - spatial % v;
        for (int i = 0; i < n; i++) {
            long b = base(i, channels, spatial, ch);
            for (int s = 0; s < bound; s += v) {
                long at = (b + s) * Float.BYTES;
                FloatVector out = FloatVector.fromMemorySegment(vs, x, at, ORDER).fma(fs, ft);
                out.blend(out.max(0f), clamp).intoMemorySegment(y, at, ORDER);
            }
            for (int s = bound; s < spatial; s++) {
                float out = Math.fma(x.getAtIndex(F, b + s), fs, ft);
                y.setAtIndex(F, b + s, relu ? Math.max(out, 0f) : out);
            }
        }
    }

    /**
     * With xhat = (x - mean) * invStd and M = n * spatial: dbeta = sum dy,
     * dgamma = sum dy * xhat, dx = gamma * invStd * (dy - dbeta/M - xhat * dgamma/M).
     * With a fused ReLU ({@code y}, the forward's output, not null) dy stands for the ReLU's
     * gradient: dy where y > 0, else +0.
     */
    static void backward(int n, int channels, int spatial, int ch, MemorySegment x, MemorySegment y, MemorySegment dy, MemorySegment gamma,
                         MemorySegment saveMean, MemorySegment saveInvStd, MemorySegment dx, MemorySegment dgamma,
                         MemorySegment dbeta) {
        long count = (long) n * spatial;
        // Unfused, every lane passes: the mask is read from dy itself and or-ed with all lanes.
        // One straight-line loop body for both cases (a vector chosen by a branch is boxed), the
        // mask written out in each loop (a helper returning a vector is not always inlined: boxed too).
        boolean fused = y != null;
        MemorySegment out = fused ? y : dy;
        VectorSpecies<Float> vs = FloatVector.SPECIES_PREFERRED;
        VectorMask<Float> passS = FloatVector.broadcast(FS, fused ? 0f : 1f).compare(VectorOperators.GT, 0f);
        VectorMask<Float> passV = FloatVector.broadcast(vs, fused ? 0f : 1f).compare(VectorOperators.GT, 0f);
        FloatVector zeroS = FloatVector.zero(FS), zeroV = FloatVector.zero(vs);
        double mean = saveMean.getAtIndex(F, ch), invStd = saveInvStd.getAtIndex(F, ch);
        DoubleVector accDy = DoubleVector.zero(DS), accDyX = accDy;
        double tailDy = 0, tailDyX = 0;
        int bound = spatial - spatial % L;
        for (int i = 0; i < n; i++) {
            long b = base(i, channels, spatial, ch);
            for (int s = 0; s < bound; s += L) {
                long at = (b + s) * Float.BYTES;
                VectorMask<Float> on = FloatVector.fromMemorySegment(FS, out, at, ORDER).compare(VectorOperators.GT, 0f).or(passS);
                DoubleVector g = (DoubleVector) zeroS.blend(FloatVector.fromMemorySegment(FS, dy, at, ORDER), on)
                        .convertShape(VectorOperators.F2D, DS, 0);
                accDy = accDy.add(g);
                accDyX = g.fma(widen(x, b + s).sub(mean), accDyX);
            }
            for (int s = bound; s < spatial; s++) {
                double g = gradient(out, dy, b + s, fused);
                tailDy += g;
                tailDyX += g * (x.getAtIndex(F, b + s) - mean);
            }
        }
        double sumDy = total(accDy, tailDy), sumDyXhat = total(accDyX, tailDyX) * invStd;
        dbeta.setAtIndex(F, ch, (float) sumDy);
        dgamma.setAtIndex(F, ch, (float) sumDyXhat);
        double k = gamma.getAtIndex(F, ch) * invStd;
        // dx = k * (dy - meanDy) - k * invStd * meanDyXhat * (x - mean), in float.
        float fk = (float) k, fMeanDy = (float) (sumDy / count), fMean = (float) mean;
        float fc = (float) (k * invStd * sumDyXhat / count);
        int v = vs.length(), vBound = spatial - spatial % v;
        for (int i = 0; i < n; i++) {
            long b = base(i, channels, spatial, ch);
            for (int s = 0; s < vBound; s += v) {
                long at = (b + s) * Float.BYTES;
                VectorMask<Float> on = FloatVector.fromMemorySegment(vs, out, at, ORDER).compare(VectorOperators.GT, 0f).or(passV);
                FloatVector g = zeroV.blend(FloatVector.fromMemorySegment(vs, dy, at, ORDER), on).sub(fMeanDy).mul(fk);
                FloatVector c = FloatVector.fromMemorySegment(vs, x, at, ORDER).sub(fMean).mul(fc);
                g.sub(c).intoMemorySegment(dx, at, ORDER);
            }
            for (int s = vBound; s < spatial; s++) {
                float g = (gradient(out, dy, b + s, fused) - fMeanDy) * fk;
                float c = (x.getAtIndex(F, b + s) - fMean) * fc;
                dx.setAtIndex(F, b + s, g - c);
            }
        }
    }

    /** The gradient at element i: dy where y > 0, else +0 (the ReLU's); {@code fused} false passes dy. */
    private static float gradient(MemorySegment y, MemorySegment dy, long i, boolean fused) {
        return !fused || y.getAtIndex(F, i) > 0f ? dy.getAtIndex(F, i) : 0f;
    }
}
