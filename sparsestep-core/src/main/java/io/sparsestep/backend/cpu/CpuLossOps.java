package io.sparsestep.backend.cpu;

import io.sparsestep.backend.LossOps;
import io.sparsestep.backend.Tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

/**
 * The CPU twin of kernels/loss.cu: rows split over the workers, each worker's loss sum and
 * correct count kept apart and added once at the end, over {@link CpuSoftmaxCrossEntropy}.
 */
final class CpuLossOps implements LossOps {
    private final CpuBackend be;
    /** Per-worker partial loss sums and correct counts, reused by every call. */
    private final long[] partialCounts;
    private final double[] partialSums;

    CpuLossOps(CpuBackend be, int threads) {
        this.be = be;
        this.partialCounts = new long[threads];
        this.partialSums = new double[threads];
    }

    @Override
    public void softmaxCrossEntropy(Tensor logits, Tensor labels, int n, int classes, Tensor dlogits, float gradScale, Tensor result) {
        if (n < 0 || classes < 1) throw new IllegalArgumentException("softmaxCrossEntropy: need n >= 0 and classes >= 1, got n=" + n + " classes=" + classes);
        MemorySegment sl = be.view(logits, "logits", (long) n * classes);
        MemorySegment slab = be.view(labels, "labels", n);
        MemorySegment sd = dlogits == null ? null : be.view(dlogits, "dlogits", (long) n * classes);
        MemorySegment sr = be.view(result, "loss result", 2);
        Arrays.fill(partialSums, 0);
        Arrays.fill(partialCounts, 0);
        be.parallel().forRange(n, Math.max(1, 4096 / classes), (worker, s, e) ->
                partialSums[worker] += CpuSoftmaxCrossEntropy.rows(sl, slab, classes, sd, gradScale, s, e, partialCounts, worker));
        double loss = 0;
        long correct = 0;
        for (int t = 0; t < partialSums.length; t++) {
            loss += partialSums[t];
            correct += partialCounts[t];
        }
        sr.setAtIndex(ValueLayout.JAVA_FLOAT, 0, (float) loss);
        sr.setAtIndex(ValueLayout.JAVA_FLOAT, 1, (float) correct);
    }
}
