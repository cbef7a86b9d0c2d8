package io.sparsestep.backend.cuda;

import io.sparsestep.backend.DType;
import io.sparsestep.backend.StepChecks;
import io.sparsestep.backend.StepOps;
import io.sparsestep.backend.Tensor;

/**
 * kernels/optim.cu behind {@link StepOps}: one launch per step on the backend's stream,
 * with the kernels the backend loaded at open; gRDA and SGD through {@link CudaFusedSteps}'
 * launch path (the one its raw-pointer API ends in), GSM and masked SGD directly. The zero count is added on the device to the
 * caller's counter word, so a step never waits.
 */
final class CudaStepOps implements StepOps {
    private final CudaBackend be;

    CudaStepOps(CudaBackend be) { this.be = be; }

    @Override
    public void grda(Tensor w, Tensor g, Tensor acc, float lr, float tau, Tensor zeroCounter) {
        be.enter();
        StepChecks.tau(tau);
        CudaBackend.sameSize("grdaStep", w, g);
        CudaBackend.sameSize("grdaStep", w, acc);
        long counter = zeroCounter == null ? 0 : be.input(zeroCounter, "grdaStep zero counter", 1);
        CudaFusedSteps.grdaStep(be.kernels(), be.ptr(w, "grdaStep w"), be.ptr(g, "grdaStep g"), be.ptr(acc, "grdaStep acc"),
                w.size(), lr, tau, counter, be.stream());
    }

    @Override
    public void sgd(Tensor w, Tensor g, Tensor momentumBuf, float lr, float momentum, float dampening, float weightDecay,
                    boolean nesterov, boolean firstStep) {
        be.enter();
        StepChecks.sgd(momentum, nesterov, dampening);
        CudaBackend.sameSize("sgdStep", w, g);
        long m = 0;
        if (momentumBuf != null) {
            CudaBackend.sameSize("sgdStep", w, momentumBuf);
            m = be.ptr(momentumBuf, "sgdStep momentum buffer");
        }
        CudaFusedSteps.sgdStep(be.kernels(), be.ptr(w, "sgdStep w"), be.ptr(g, "sgdStep g"), m, w.size(), lr, momentum, dampening,
                weightDecay, nesterov, firstStep, be.stream());
    }

    @Override
    public void gsm(Tensor w, Tensor g, Tensor momentumBuf, Tensor threshold, float lr, float momentum, float weightDecay,
                    boolean nesterov, boolean firstStep) {
        be.enter();
        CudaBackend.sameSize("gsmStep", w, g);
        StepChecks.sgd(momentum, nesterov, 0f);
        long m = StepChecks.usesMomentumBuffer("gsmStep", momentum, w, momentumBuf) ? be.ptr(momentumBuf, "gsmStep momentum buffer") : 0;
        long th = be.input(threshold, "gsm threshold", 1);
        // the threshold stays on the device: the kernel reads it, once per block, after what wrote it on the stream
        be.kernels().launchFlat(KernelSignature.GSM_STEP, w.size(), be.stream(), KernelArgs.begin().ptr(be.ptr(w, "gsmStep w"))
                .ptr(be.ptr(g, "gsmStep g")).ptr(m).ptr(th).u64(w.size()).f32(lr).f32(momentum).f32(weightDecay)
                .i32(nesterov ? 1 : 0).i32(firstStep ? 1 : 0));
    }

    @Override
    public void maskedSgd(Tensor w, Tensor g, Tensor momentumBuf, Tensor mask, float lr, float momentum, float dampening,
                          float weightDecay, boolean nesterov, boolean firstStep, boolean zeroPruned) {
        be.enter();
        CudaBackend.sameSize("maskedSgdStep", w, g);
        long pm = be.ptr(mask, "masked sgd mask", DType.U8);
        Tensor.requireSameSize("maskedSgdStep", w, mask);
        StepChecks.sgd(momentum, nesterov, dampening);
        long m = StepChecks.usesMomentumBuffer("maskedSgdStep", momentum, w, momentumBuf)
                ? be.ptr(momentumBuf, "maskedSgdStep momentum buffer") : 0;
        be.kernels().launchFlat(KernelSignature.MASKED_SGD_STEP, w.size(), be.stream(), KernelArgs.begin()
                .ptr(be.ptr(w, "maskedSgdStep w")).ptr(be.ptr(g, "maskedSgdStep g")).ptr(m).ptr(pm).u64(w.size()).f32(lr)
                .f32(momentum).f32(dampening).f32(weightDecay).i32(nesterov ? 1 : 0).i32(firstStep ? 1 : 0).i32(zeroPruned ? 1 : 0));
    }
}
