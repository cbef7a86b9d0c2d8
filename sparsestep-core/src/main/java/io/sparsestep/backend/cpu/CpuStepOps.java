package io.sparsestep.backend.cpu;

import io.sparsestep.backend.DType;
import io.sparsestep.backend.StepChecks;
import io.sparsestep.backend.StepOps;
import io.sparsestep.backend.Tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

/**
 * The CPU twin of kernels/optim.cu: the parallel driver over {@link CpuFusedSteps}' single-
 * threaded kernels. A range is cut into {@link CpuBackend#CHUNK}-sized pieces, each stepped
 * on its own by one worker; every element's arithmetic is the same whichever chunk it falls
 * in, so the split changes no bit. gRDA's zeros are counted per worker and added once at
 * the end (integer sums: any order gives the same count).
 */
final class CpuStepOps implements StepOps {
    private final CpuBackend be;
    /** Zeros each worker's chunks wrote, reused by every gRDA step. */
    private final long[] partialZeros;

    CpuStepOps(CpuBackend be, int threads) {
        this.be = be;
        this.partialZeros = new long[threads];
    }

    @Override
    public void grda(Tensor w, Tensor g, Tensor acc, float lr, float tau, Tensor zeroCounter) {
        MemorySegment sw = be.view(w, "gRDA weights w"), sg = be.view(g, "gRDA gradient g"), sa = be.view(acc, "gRDA accumulator acc");
        CpuBackend.sameSize("grdaStep", w, "w", g, "g");
        CpuBackend.sameSize("grdaStep", w, "w", acc, "acc");
        StepChecks.tau(tau);
        MemorySegment counter = zeroCounter == null ? null : be.view(zeroCounter, "gRDA zero counter", 1);
        Arrays.fill(partialZeros, 0);
        be.chunked(w.size(), (worker, start, count) ->
                partialZeros[worker] += CpuFusedSteps.grdaStep(sw, start, sg, start, sa, start, count, lr, tau));
        if (counter != null) {
            long zeros = 0;
            for (long c : partialZeros) zeros += c;
            // An unsigned 32-bit counter, wrapping like the CUDA kernel's atomicAdd.
            counter.set(ValueLayout.JAVA_INT, 0, (int) (counter.get(ValueLayout.JAVA_INT, 0) + zeros));
        }
    }

    @Override
    public void sgd(Tensor w, Tensor g, Tensor momentumBuf, float lr, float momentum, float dampening,
                    float weightDecay, boolean nesterov, boolean firstStep) {
        MemorySegment sw = be.view(w, "sgd weights w"), sg = be.view(g, "sgd gradient g");
        CpuBackend.sameSize("sgdStep", w, "w", g, "g");
        StepChecks.sgd(momentum, nesterov, dampening);
        MemorySegment sm = null;
        if (momentum != 0f) {
            if (momentumBuf == null) throw new IllegalArgumentException("sgdStep: momentum " + momentum + " needs a momentum buffer of " + w.size() + " floats, got null");
            sm = be.view(momentumBuf, "sgd momentum buffer");
            CpuBackend.sameSize("sgdStep", w, "w", momentumBuf, "momentumBuf");
        }
        MemorySegment buf = sm;
        be.chunked(w.size(), (worker, start, count) ->
                CpuFusedSteps.sgdStep(sw, start, sg, start, buf, start, count, lr, momentum, dampening, weightDecay, nesterov, firstStep));
    }

    @Override
    public void gsm(Tensor w, Tensor g, Tensor momentumBuf, Tensor threshold, float lr, float momentum, float weightDecay,
                    boolean nesterov, boolean firstStep) {
        MemorySegment sw = be.view(w, "gsm weights w"), sg = be.view(g, "gsm gradient g");
        CpuBackend.sameSize("gsmStep", w, "w", g, "g");
        StepChecks.sgd(momentum, nesterov, 0f);
        MemorySegment buf = StepChecks.usesMomentumBuffer("gsmStep", momentum, w, momentumBuf)
                ? be.view(momentumBuf, "gsmStep momentum buffer") : null;
        float th = be.view(threshold, "gsm threshold", 1).getAtIndex(ValueLayout.JAVA_FLOAT, 0);
        CpuMaskedSteps.Hyper h = new CpuMaskedSteps.Hyper(lr, momentum, 0f, weightDecay, nesterov, firstStep);
        be.chunked(w.size(), (worker, start, count) -> CpuMaskedSteps.gsm(sw, sg, buf, start, count, th, h));
    }

    @Override
    public void maskedSgd(Tensor w, Tensor g, Tensor momentumBuf, Tensor mask, float lr, float momentum, float dampening,
                          float weightDecay, boolean nesterov, boolean firstStep, boolean zeroPruned) {
        MemorySegment sw = be.view(w, "masked sgd weights w"), sg = be.view(g, "masked sgd gradient g");
        CpuBackend.sameSize("maskedSgdStep", w, "w", g, "g");
        MemorySegment sm = be.bytes(mask, "masked sgd mask", DType.U8);
        Tensor.requireSameSize("maskedSgdStep", w, mask);
        StepChecks.sgd(momentum, nesterov, dampening);
        MemorySegment buf = StepChecks.usesMomentumBuffer("maskedSgdStep", momentum, w, momentumBuf)
                ? be.view(momentumBuf, "maskedSgdStep momentum buffer") : null;
        CpuMaskedSteps.Hyper h = new CpuMaskedSteps.Hyper(lr, momentum, dampening, weightDecay, nesterov, firstStep);
        be.chunked(w.size(), (worker, start, count) -> CpuMaskedSteps.masked(sw, sg, buf, sm, start, count, h, zeroPruned));
    }
}
