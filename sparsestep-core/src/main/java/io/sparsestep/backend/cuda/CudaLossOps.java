package io.sparsestep.backend.cuda;

import io.sparsestep.backend.LossOps;
import io.sparsestep.backend.Tensor;

/**
 * kernels/loss.cu behind {@link LossOps}: the result words zeroed on the stream, then one
 * launch, one block per row; nothing waits.
 */
final class CudaLossOps implements LossOps {
    private final CudaBackend be;

    CudaLossOps(CudaBackend be) { this.be = be; }

    @Override
    public void softmaxCrossEntropy(Tensor logits, Tensor labels, int n, int classes, Tensor dlogits, float gradScale, Tensor result) {
        be.enter();
        long total = CudaBackend.positiveProduct("softmaxCrossEntropy", n, classes, 1);
        long pl = be.input(logits, "softmax logits", total), plab = be.input(labels, "softmax labels", n);
        long pd = dlogits == null ? 0 : be.input(dlogits, "softmax dlogits", total);
        long pr = be.input(result, "softmax result", 2);
        be.driver().memsetD32Async(pr, 0, 2, be.stream());
        be.kernels().launch(KernelSignature.SOFTMAX_XENT, LaunchConfig.perRow(n), be.stream(),
                KernelArgs.begin().ptr(pl).ptr(plab).i32(n).i32(classes).ptr(pd).f32(gradScale).ptr(pr));
    }
}
