package io.sparsestep.backend.cpu;

import io.sparsestep.backend.ElementwiseOps;
import io.sparsestep.backend.Tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

/**
 * The CPU twin of kernels/elementwise.cu: the parallel drivers over {@link CpuElementwise}'
 * single-threaded loops. Streaming ops are cut into {@link CpuBackend#CHUNK}-sized pieces,
 * the per-channel ones into blocks of rows or channels; zeros are counted per worker and
 * added once at the end (integer sums: any order gives the same count).
 */
final class CpuElementwiseOps implements ElementwiseOps {
    private final CpuBackend be;
    /** Zeros each worker's chunks counted, reused by every countZeros. */
    private final long[] partialCounts;

    CpuElementwiseOps(CpuBackend be, int threads) {
        this.be = be;
        this.partialCounts = new long[threads];
    }

    @Override
    public void fill(Tensor t, float value) {
        MemorySegment s = be.view(t, "fill target");
        be.chunked(t.size(), (worker, start, count) -> CpuElementwise.fill(s, start, count, value));
    }

    @Override
    public void add(Tensor a, Tensor b, Tensor out) {
        add("add", a, b, out, false);
    }

    /** The sum and its ReLU in one pass over the operands. */
    @Override
    public void addRelu(Tensor a, Tensor b, Tensor out) {
        add("addRelu", a, b, out, true);
    }

    private void add(String op, Tensor a, Tensor b, Tensor out, boolean relu) {
        MemorySegment sa = be.view(a, op + " operand a"), sb = be.view(b, op + " operand b"), so = be.view(out, op + " output");
        CpuBackend.sameSize(op, a, "a", b, "b");
        CpuBackend.sameSize(op, a, "a", out, "out");
        be.chunked(a.size(), (worker, start, count) -> CpuElementwise.add(sa, start, sb, start, so, start, count, relu));
    }

    @Override
    public long countZeros(Tensor t) {
        MemorySegment s = be.view(t, "countZeros input");
        Arrays.fill(partialCounts, 0);
        be.chunked(t.size(), (worker, start, count) -> partialCounts[worker] += CpuElementwise.countZeros(s, start, count));
        long zeros = 0;
        for (long c : partialCounts) zeros += c;
        return zeros;
    }

    @Override
    public void addBias(Tensor y, Tensor bias, int n, int channels, int spatial) {
        CpuBackend.checkNcs("addBias", n, channels, spatial);
        MemorySegment sy = be.view(y, "addBias y", (long) n * channels * spatial);
        MemorySegment sb = be.view(bias, "addBias bias", channels);
        if (spatial == 1) {
            // A fully connected layer: add the bias vector to each row.
            be.parallel().forRange(n, Math.max(1, CpuBackend.CHUNK / channels),
                    (worker, s, e) -> {
                        for (int i = s; i < e; i++) CpuElementwise.add(sy, (long) i * channels, sb, 0, sy, (long) i * channels, channels);
                    });
        } else {
            be.parallel().forRange(n * channels, Math.max(1, CpuBackend.CHUNK / spatial), (worker, s, e) -> {
                for (int row = s; row < e; row++) {
                    CpuElementwise.addScalar(sy, (long) row * spatial, spatial, sb.getAtIndex(ValueLayout.JAVA_FLOAT, row % channels));
                }
            });
        }
    }

    @Override
    public void biasGradient(Tensor dy, Tensor db, int n, int channels, int spatial) {
        CpuBackend.checkNcs("biasGradient", n, channels, spatial);
        MemorySegment sdy = be.view(dy, "biasGradient dy", (long) n * channels * spatial);
        MemorySegment sdb = be.view(db, "biasGradient db", channels);
        if (spatial == 1) {
            // Column sums of an [n, channels] matrix: each worker owns a block of columns and walks the rows.
            be.parallel().forRange(channels, Math.max(1, CpuBackend.CHUNK / n), (worker, s, e) -> {
                CpuElementwise.fill(sdb, s, e - s, 0f);
                for (int i = 0; i < n; i++) CpuElementwise.add(sdb, s, sdy, (long) i * channels + s, sdb, s, e - s);
            });
        } else {
            be.parallel().forRange(channels, Math.max(1, CpuBackend.CHUNK / (n * spatial)), (worker, s, e) -> {
                for (int ch = s; ch < e; ch++) {
                    double sum = 0;
                    for (int i = 0; i < n; i++) sum += CpuElementwise.sum(sdy, ((long) i * channels + ch) * spatial, spatial);
                    sdb.setAtIndex(ValueLayout.JAVA_FLOAT, ch, (float) sum);
                }
            });
        }
    }

    @Override
    public void reluForward(Tensor x, Tensor y) {
        MemorySegment sx = be.view(x, "relu input x"), sy = be.view(y, "relu output y");
        CpuBackend.sameSize("reluForward", x, "x", y, "y");
        be.chunked(x.size(), (worker, start, count) -> CpuElementwise.relu(sx, start, sy, start, count));
    }

    @Override
    public void reluBackward(Tensor y, Tensor dy, Tensor dx) {
        MemorySegment sy = be.view(y, "relu output y"), sdy = be.view(dy, "relu output gradient dy"), sdx = be.view(dx, "relu input gradient dx");
        CpuBackend.sameSize("reluBackward", y, "y", dy, "dy");
        CpuBackend.sameSize("reluBackward", y, "y", dx, "dx");
        be.chunked(y.size(), (worker, start, count) -> CpuElementwise.reluBackward(sy, start, sdy, start, sdx, start, count));
    }
}
