package io.sparsestep.backend.cuda;

import io.sparsestep.backend.StepChecks;
import io.sparsestep.backend.StepOps;
import io.sparsestep.backend.Tensor;

/**
 * kernels/optim.cu behind {@link StepOps}: one launch per step on the backend's stream,
 * through {@link CudaFusedSteps}' launch path (the one its raw-pointer API ends in), with
 * the kernels the backend loaded at open. The zero count is added on the device to the
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
                    boolean nesterov, boolean firstStep) { throw new UnsupportedOperationException("PENDING gsm_step"); }

    @Override
    public void maskedSgd(Tensor w, Tensor g, Tensor momentumBuf, Tensor mask, float lr, float momentum, float dampening,
                          float weightDecay, boolean nesterov, boolean firstStep, boolean zeroPruned) { throw new UnsupportedOperationException("PENDING masked_sgd_step"); }
}
