package io.sparsestep.backend.cpu;

import io.sparsestep.backend.DType;
import io.sparsestep.backend.Tensor;
import io.sparsestep.backend.VectorOps;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * The CPU twin of kernels/vector.cu. axpy and scale: one float multiply and one add per
 * element, lanewise (never fused into an fma), so the vector lanes, the scalar tail and
 * the GPU kernel give the same bits. dot and norm: each fixed chunk of
 * {@link CpuBackend#CHUNK} elements is summed sequentially in double (a float*float
 * product is exact in double), then the chunk sums are added in chunk order, so the result
 * does not depend on the number of threads.
 */
final class CpuVectorOps implements VectorOps {
    private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
    private static final int V = SPECIES.length();
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT;
    private static final ByteOrder ORDER = ByteOrder.nativeOrder();

    private final CpuBackend be;

    CpuVectorOps(CpuBackend be) { this.be = be; }

    @Override
    public void axpy(float alpha, Tensor x, Tensor y) {
        Tensor.requireSameSize("axpy", x, y);
        MemorySegment xs = be.bytes(x, "axpy x", DType.F32), ys = be.bytes(y, "axpy y", DType.F32);
        be.chunked(x.size(), (worker, start, count) -> axpy(alpha, xs, ys, start, count));
    }

    private static void axpy(float alpha, MemorySegment x, MemorySegment y, long start, long count) {
        long i = start, end = start + count, bound = start + count - count % V;
        for (; i < bound; i += V) {
            long at = i * Float.BYTES;
            FloatVector yv = FloatVector.fromMemorySegment(SPECIES, y, at, ORDER);
            yv.add(FloatVector.fromMemorySegment(SPECIES, x, at, ORDER).mul(alpha)).intoMemorySegment(y, at, ORDER);
        }
        for (; i < end; i++) y.setAtIndex(F, i, y.getAtIndex(F, i) + alpha * x.getAtIndex(F, i));
    }

    @Override
    public void addScaledSign(float s, Tensor x, Tensor y) {
        Tensor.requireSameSize("addScaledSign", x, y);
        MemorySegment xs = be.bytes(x, "addScaledSign x", DType.F32), ys = be.bytes(y, "addScaledSign y", DType.F32);
        be.chunked(x.size(), (worker, start, count) -> {
            for (long i = start; i < start + count; i++) ys.setAtIndex(F, i, ys.getAtIndex(F, i) + signTerm(s, xs.getAtIndex(F, i)));
        });
    }

    /** s*sign(x) exactly: s, -s, 0 for a zero of either sign, NaN for NaN (as kernels/vector.cu's sign_term). */
    static float signTerm(float s, float x) {
        return x > 0 ? s : x < 0 ? -s : x == 0 ? 0f : x;
    }

    @Override
    public void scale(Tensor x, float alpha) {
        MemorySegment xs = be.bytes(x, "scale x", DType.F32);
        be.chunked(x.size(), (worker, start, count) -> {
            long i = start, end = start + count, bound = start + count - count % V;
            for (; i < bound; i += V) {
                long at = i * Float.BYTES;
                FloatVector.fromMemorySegment(SPECIES, xs, at, ORDER).mul(alpha).intoMemorySegment(xs, at, ORDER);
            }
            for (; i < end; i++) xs.setAtIndex(F, i, alpha * xs.getAtIndex(F, i));
        });
    }

    @Override
    public double dot(Tensor x, Tensor y) {
        Tensor.requireSameSize("dot", x, y);
        return sum(be.bytes(x, "dot x", DType.F32), be.bytes(y, "dot y", DType.F32), x.size());
    }

    @Override
    public double norm(Tensor x) {
        MemorySegment xs = be.bytes(x, "norm x", DType.F32);
        return Math.sqrt(sum(xs, xs, x.size()));
    }

    /** Sum of x[i]*y[i]: per-chunk sequential double sums, added in chunk order. */
    private double sum(MemorySegment x, MemorySegment y, long n) {
        int chunks = Math.toIntExact((n + CpuBackend.CHUNK - 1) / CpuBackend.CHUNK);
        double[] partial = new double[chunks];
        be.chunked(n, (worker, start, count) -> {
            for (long c = start; c < start + count; c += CpuBackend.CHUNK) {
                long end = Math.min(start + count, c + CpuBackend.CHUNK);
                double s = 0;
                for (long i = c; i < end; i++) s += (double) x.getAtIndex(F, i) * (double) y.getAtIndex(F, i);
                partial[Math.toIntExact(c / CpuBackend.CHUNK)] = s;
            }
        });
        double total = 0;
        for (double p : partial) total += p;
        return total;
    }
}
