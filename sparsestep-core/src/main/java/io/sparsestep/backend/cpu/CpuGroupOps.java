package io.sparsestep.backend.cpu;

import io.sparsestep.backend.DType;
import io.sparsestep.backend.GroupChecks;
import io.sparsestep.backend.GroupGeometry;
import io.sparsestep.backend.GroupOps;
import io.sparsestep.backend.Tensor;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * The CPU twin of kernels/group.cu. Groups are spread over the workers (whole groups, so
 * the split changes no bit), each group's sum is taken in the documented order
 * ({@link GroupOps}: sequential up to {@link GroupOps#SEQUENTIAL_MAX} elements, else the
 * 256-thread block order replayed by {@link GroupOrder}), and every other operation rounds
 * as the kernel writes it: {@code acc - lr*g} in float, the group's factor in double
 * rounded once to float, {@code w = acc * factor} in float. So the two backends agree bit
 * for bit. Contiguous groups (filters, rows, kernels) of more than 32 elements run in
 * float vectors, their terms added lanewise in double; small and strided groups
 * (channels) run element by element.
 */
final class CpuGroupOps implements GroupOps {
    private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
    private static final int V = SPECIES.length();
    private static final ByteOrder ORDER = ByteOrder.nativeOrder();
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT;
    private static final ValueLayout.OfDouble D = ValueLayout.JAVA_DOUBLE;
    private static final ValueLayout.OfByte B = ValueLayout.JAVA_BYTE;

    private final CpuBackend be;
    private final GroupOrder[] orders;
    private final long[] partialZeros;

    CpuGroupOps(CpuBackend be, int threads) {
        this.be = be;
        this.orders = new GroupOrder[threads];
        for (int i = 0; i < threads; i++) orders[i] = new GroupOrder();
        this.partialZeros = new long[threads];
    }

    /** One step's arguments, as segments, for the per-group kernel below. */
    private record Step(GroupGeometry geo, MemorySegment w, MemorySegment g, MemorySegment acc, float lr, float threshold,
                        MemorySegment sums) {}

    @Override
    public void sdprun(GroupGeometry geo, Tensor w, Tensor g, Tensor acc, float lr, float threshold, Tensor sumSquares,
                       Tensor zeroCounter) {
        GroupChecks.sdprun(geo, w, g, acc, threshold, sumSquares);
        Step s = new Step(geo, be.view(w, "sdprun w"), be.view(g, "sdprun g"), be.view(acc, "sdprun acc"), lr, threshold,
                sumSquares == null ? null : be.bytes(sumSquares, "sdprun sumSquares", DType.F64));
        MemorySegment counter = zeroCounter == null ? null : be.view(zeroCounter, "sdprun zero counter", 1);
        Arrays.fill(partialZeros, 0);
        forGroups(geo, (worker, from, to) -> {
            long zeros = 0;
            for (int gi = from; gi < to; gi++) zeros += step(s, gi, orders[worker]);
            partialZeros[worker] += zeros;
        });
        if (counter != null) {
            long zeros = 0;
            for (long z : partialZeros) zeros += z;
            // an unsigned 32-bit counter, wrapping like the kernel's atomicAdd
            counter.set(ValueLayout.JAVA_INT, 0, (int) (counter.get(ValueLayout.JAVA_INT, 0) + zeros));
        }
    }

    /** Group gi: acc -= lr*g, its sum of squares, then w; returns the zeros written. */
    private static long step(Step s, int gi, GroupOrder order) {
        GroupGeometry geo = s.geo;
        int m = geo.groupSize();
        boolean vector = m > SEQUENTIAL_MAX && geo.contiguous();
        long first = (long) gi * m;
        double sum = vector ? accumulateContiguous(s, first, m, order) : accumulate(s, gi, order);
        if (s.sums != null) s.sums.setAtIndex(D, gi, sum);
        if (m == 1) {
            long e = geo.element(gi, 0);
            float wi = softThreshold(s.acc.getAtIndex(F, e), s.threshold);
            s.w.setAtIndex(F, e, wi);
            return wi == 0f ? 1 : 0;
        }
        float factor = shrinkFactor(sum, s.threshold);
        if (vector) return scaleContiguous(s, first, m, factor);
        long zeros = 0;
        for (int p = 0; p < m; p++) {
            long e = geo.element(gi, p);
            float wi = scaled(s.acc.getAtIndex(F, e), factor);
            s.w.setAtIndex(F, e, wi);
            if (wi == 0f) zeros++;
        }
        return zeros;
    }

    /** Pass 1 element by element (small or strided groups): acc -= lr*g, the sum of acc^2 in order. */
    private static double accumulate(Step s, int gi, GroupOrder order) {
        int m = s.geo.groupSize();
        boolean sequential = m <= SEQUENTIAL_MAX;
        double sum = 0;
        if (!sequential) order.start(m);
        for (int p = 0; p < m; p++) {
            long e = s.geo.element(gi, p);
            float a = s.acc.getAtIndex(F, e) - s.lr * s.g.getAtIndex(F, e);
            s.acc.setAtIndex(F, e, a);
            if (sequential) sum = sum + (double) a * a;
            else order.add(p, (double) a * a);
        }
        return sequential ? sum : order.total();
    }

    /** Pass 1 over a contiguous group [first, first + m) in float vectors (lanewise: the same bits as one at a time). */
    private static double accumulateContiguous(Step s, long first, int m, GroupOrder order) {
        order.start(m);
        int p = 0;
        for (int bound = m - m % V; p < bound; p += V) {
            long at = (first + p) * Float.BYTES;
            FloatVector a = FloatVector.fromMemorySegment(SPECIES, s.acc, at, ORDER)
                    .sub(FloatVector.fromMemorySegment(SPECIES, s.g, at, ORDER).mul(s.lr));
            a.intoMemorySegment(s.acc, at, ORDER);
            order.addSquares(p, a);
        }
        for (; p < m; p++) {
            long e = first + p;
            float a = s.acc.getAtIndex(F, e) - s.lr * s.g.getAtIndex(F, e);
            s.acc.setAtIndex(F, e, a);
            order.add(p, (double) a * a);
        }
        return order.total();
    }

    /** Pass 2 over a contiguous group: w = acc * factor (+0.0 for a zero); returns the zeros written. */
    private static long scaleContiguous(Step s, long first, int m, float factor) {
        long zeros = 0;
        int p = 0;
        // w is loaded and kept alive by a blend under a mask that is never set (the factor is
        // never negative, but the JIT cannot know), as CpuFusedSteps.grdaStep does: the line
        // is read anyway (write-allocate), and a load the prefetcher sees coming is faster.
        VectorMask<Float> never = SPECIES.maskAll(factor < 0f);
        for (int bound = m - m % V; p < bound; p += V) {
            long at = (first + p) * Float.BYTES;
            FloatVector old = FloatVector.fromMemorySegment(SPECIES, s.w, at, ORDER);
            FloatVector w = FloatVector.fromMemorySegment(SPECIES, s.acc, at, ORDER).mul(factor).add(0f).blend(old, never);
            zeros += w.eq(0f).trueCount();
            w.intoMemorySegment(s.w, at, ORDER);
        }
        for (; p < m; p++) {
            float wi = scaled(s.acc.getAtIndex(F, first + p), factor);
            s.w.setAtIndex(F, first + p, wi);
            if (wi == 0f) zeros++;
        }
        return zeros;
    }

    /** gRDA's soft threshold, as grda_step and group_sdprun_step_small write it: NaN stays, a zero is +0.0. */
    static float softThreshold(float a, float t) {
        if (a > t) return a - t;
        if (a < -t) return a + t;
        return Float.isNaN(a) ? a : 0f;
    }

    /** 0 when ||acc_G|| <= threshold (NaN never is), else 1 - threshold/||acc_G|| in double, rounded once to float. */
    static float shrinkFactor(double sumSquares, float threshold) {
        double norm = Math.sqrt(sumSquares);
        return norm <= threshold ? 0f : (float) (1.0 + -(threshold / norm));
    }

    /** a * factor in float; + 0 turns a -0.0 product into +0.0 and changes nothing else. */
    static float scaled(float a, float factor) {
        return a * factor + 0f;
    }

    @Override
    public void norms(GroupGeometry geo, Norm norm, Tensor x, Tensor norms) {
        GroupChecks.norms(geo, x, norms);
        MemorySegment xs = be.view(x, "group norms x"), out = be.view(norms, "group norms output");
        boolean l2 = norm == Norm.L2;
        forGroups(geo, (worker, from, to) -> {
            for (int gi = from; gi < to; gi++) {
                double sum = groupSum(geo, xs, gi, l2, orders[worker]);
                out.setAtIndex(F, gi, (float) (l2 ? Math.sqrt(sum) : sum));
            }
        });
    }

    /** Sum over group gi of x^2 (l2) or |x|, in the documented order. */
    private static double groupSum(GroupGeometry geo, MemorySegment x, int gi, boolean l2, GroupOrder order) {
        int m = geo.groupSize();
        if (m <= SEQUENTIAL_MAX) {
            double sum = 0;
            for (int p = 0; p < m; p++) sum = sum + term(x.getAtIndex(F, geo.element(gi, p)), l2);
            return sum;
        }
        order.start(m);
        int p = 0;
        if (geo.contiguous()) {
            long first = (long) gi * m;
            for (int bound = m - m % V; p < bound; p += V) {
                FloatVector v = FloatVector.fromMemorySegment(SPECIES, x, (first + p) * Float.BYTES, ORDER);
                if (l2) order.addSquares(p, v);
                else order.addMagnitudes(p, v);
            }
        }
        for (; p < m; p++) order.add(p, term(x.getAtIndex(F, geo.element(gi, p)), l2));
        return order.total();
    }

    private static double term(float v, boolean l2) {
        return l2 ? (double) v * v : Math.abs((double) v);
    }

    @Override
    public void applyMask(GroupGeometry geo, Tensor mask, Tensor x) {
        GroupChecks.mask(geo, mask, x);
        MemorySegment ms = be.bytes(mask, "group mask", DType.U8), xs = be.view(x, "group-masked tensor");
        int m = geo.groupSize(), seg = geo.segment();
        forGroups(geo, (worker, from, to) -> {
            for (int gi = from; gi < to; gi++) {
                if (ms.get(B, gi) != 0) continue;
                // a group is m / seg runs of seg contiguous elements; +0.0 is all zero bits
                for (int p = 0; p < m; p += seg) xs.asSlice(geo.element(gi, p) * Float.BYTES, (long) seg * Float.BYTES).fill((byte) 0);
            }
        });
    }

    @FunctionalInterface
    private interface GroupRange {
        void run(int worker, int from, int to);
    }

    /** Whole groups over the workers, about {@link CpuBackend#CHUNK} elements per piece (inline for a small tensor). */
    private void forGroups(GroupGeometry geo, GroupRange body) {
        int groups = geo.groups();
        int grain = Math.max(1, CpuBackend.CHUNK / geo.groupSize());
        if (groups <= grain) {
            body.run(0, 0, groups);
            return;
        }
        be.parallel().forRange(groups, grain, body::run);
    }
}
