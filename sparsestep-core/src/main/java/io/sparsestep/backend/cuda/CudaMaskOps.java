package io.sparsestep.backend.cuda;

import io.sparsestep.backend.DType;
import io.sparsestep.backend.MaskChecks;
import io.sparsestep.backend.MaskOps;
import io.sparsestep.backend.Tensor;

/** kernels/mask.cu behind {@link MaskOps}: one launch each, the count through the backend's counter word. */
final class CudaMaskOps implements MaskOps {
    private final CudaBackend be;

    CudaMaskOps(CudaBackend be) { this.be = be; }

    @Override
    public void apply(Tensor mask, Tensor x) {
        be.enter();
        Tensor.requireSameSize("mask apply", mask, x);
        long pm = be.ptr(mask, "mask", DType.U8), px = be.ptr(x, "masked tensor", DType.F32);
        be.kernels().launchFlat(KernelSignature.MASK_APPLY, x.size(), be.stream(), KernelArgs.begin().ptr(pm).ptr(px).u64(x.size()));
    }

    @Override
    public long countKept(Tensor mask) {
        be.enter();
        long pm = be.ptr(mask, "mask", DType.U8);
        if (mask.size() == 0) return 0;
        be.driver().memsetD32Async(be.counterScratch(), 0, 1, be.stream());
        be.kernels().launchFlat(KernelSignature.MASK_COUNT_KEPT, mask.size(), be.stream(),
                KernelArgs.begin().ptr(pm).u64(mask.size()).ptr(be.counterScratch()));
        return be.readWord(be.counterScratch());
    }

    @Override
    public void fromMagnitude(Tensor x, float threshold, Tensor mask) {
        be.enter();
        Tensor.requireSameSize("mask fromMagnitude", x, mask);
        long px = be.ptr(x, "magnitudes", DType.F32), pm = be.ptr(mask, "mask", DType.U8);
        be.kernels().launchFlat(KernelSignature.MASK_FROM_MAGNITUDE, x.size(), be.stream(),
                KernelArgs.begin().ptr(px).u64(x.size()).f32(threshold).ptr(pm));
    }

    @Override
    public void dropStep(Tensor w, Tensor mask, Tensor survivors, Tensor saved, long seed, long round, long indexBase, float p, float q) {
        be.enter();
        MaskChecks.dropStep(w, mask, survivors, saved, indexBase, p, q);
        long pw = be.ptr(w, "dropped weights", DType.F32), pm = be.ptr(mask, "mask", DType.U8);
        long ps = be.ptr(survivors, "survivors mask", DType.U8), pv = saved == null ? 0 : be.ptr(saved, "saved weights", DType.F32);
        be.kernels().launchFlat(KernelSignature.MASK_DROP_STEP, w.size(), be.stream(), KernelArgs.begin().ptr(pw).ptr(pm).ptr(ps).ptr(pv)
                .u64(w.size()).u64(seed).u64(round).u64(indexBase).f32(p).f32(q));
    }
}
