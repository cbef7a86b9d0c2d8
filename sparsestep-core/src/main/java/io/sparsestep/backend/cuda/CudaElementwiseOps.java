package io.sparsestep.backend.cuda;

import io.sparsestep.backend.ElementwiseOps;
import io.sparsestep.backend.Tensor;

/**
 * kernels/elementwise.cu behind {@link ElementwiseOps}: one launch per op on the backend's
 * stream; the zero count goes through the backend's counter word and is the one op here
 * that waits.
 */
final class CudaElementwiseOps implements ElementwiseOps {
    private final CudaBackend be;

    CudaElementwiseOps(CudaBackend be) { this.be = be; }

    @Override
    public void fill(Tensor t, float value) {
        be.enter();
        long p = be.ptr(t, "fill target");
        be.kernels().launchFlat(KernelSignature.FILL_F32, t.size(), be.stream(), KernelArgs.begin().ptr(p).u64(t.size()).f32(value));
    }

    @Override
    public void add(Tensor a, Tensor b, Tensor out) {
        be.enter();
        CudaBackend.sameSize("add", a, b);
        CudaBackend.sameSize("add", a, out);
        be.kernels().launchFlat(KernelSignature.ADD_F32, a.size(), be.stream(),
                KernelArgs.begin().ptr(be.ptr(a, "add a")).ptr(be.ptr(b, "add b")).ptr(be.ptr(out, "add out")).u64(a.size()));
    }

    @Override
    public long countZeros(Tensor t) {
        be.enter();
        long p = be.ptr(t, "countZeros input");
        if (t.size() == 0) return 0;
        be.driver().memsetD32Async(be.counterScratch(), 0, 1, be.stream());
        be.kernels().launchFlat(KernelSignature.COUNT_ZEROS, t.size(), be.stream(), KernelArgs.begin().ptr(p).u64(t.size()).ptr(be.counterScratch()));
        return be.readWord(be.counterScratch());
    }

    @Override
    public void reluForward(Tensor x, Tensor y) {
        be.enter();
        CudaBackend.sameSize("reluForward", x, y);
        be.kernels().launchFlat(KernelSignature.RELU_FORWARD, x.size(), be.stream(),
                KernelArgs.begin().ptr(be.ptr(x, "reluForward x")).ptr(be.ptr(y, "reluForward y")).u64(x.size()));
    }

    @Override
    public void reluBackward(Tensor y, Tensor dy, Tensor dx) {
        be.enter();
        CudaBackend.sameSize("reluBackward", y, dy);
        CudaBackend.sameSize("reluBackward", y, dx);
        be.kernels().launchFlat(KernelSignature.RELU_BACKWARD, y.size(), be.stream(),
                KernelArgs.begin().ptr(be.ptr(y, "reluBackward y")).ptr(be.ptr(dy, "reluBackward dy")).ptr(be.ptr(dx, "reluBackward dx")).u64(y.size()));
    }

    @Override
    public void addBias(Tensor y, Tensor bias, int n, int channels, int spatial) {
        be.enter();
        long total = CudaBackend.positiveProduct("addBias", n, channels, spatial);
        CudaBackend.atLeast("addBias y", y, total);
        CudaBackend.atLeast("addBias bias", bias, channels);
        be.kernels().launchFlat(KernelSignature.ADD_BIAS, total, be.stream(),
                KernelArgs.begin().ptr(be.ptr(y, "addBias y")).ptr(be.ptr(bias, "addBias bias")).i32(n).i32(channels).i32(spatial));
    }

    @Override
    public void biasGradient(Tensor dy, Tensor db, int n, int channels, int spatial) {
        be.enter();
        long total = CudaBackend.positiveProduct("biasGradient", n, channels, spatial);
        CudaBackend.atLeast("biasGradient dy", dy, total);
        CudaBackend.atLeast("biasGradient db", db, channels);
        be.kernels().launch(KernelSignature.BIAS_GRAD, LaunchConfig.perRow(channels), be.stream(),
                KernelArgs.begin().ptr(be.ptr(dy, "biasGradient dy")).ptr(be.ptr(db, "biasGradient db")).i32(n).i32(channels).i32(spatial));
    }
}
