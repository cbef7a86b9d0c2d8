package io.sparsestep.backend.cuda;

import io.sparsestep.backend.DType;
import io.sparsestep.backend.Tensor;
import io.sparsestep.backend.VectorOps;

/**
 * kernels/vector.cu behind {@link VectorOps}. dot and norm are two launches: per-block
 * partial sums into the backend's reduction scratch (allocated once, at open), then one
 * thread adds them in block order, and one 8-byte download; nothing is allocated per call.
 */
final class CudaVectorOps implements VectorOps {
    private final CudaBackend be;

    CudaVectorOps(CudaBackend be) { this.be = be; }

    @Override
    public void axpy(float alpha, Tensor x, Tensor y) {
        be.enter();
        Tensor.requireSameSize("axpy", x, y);
        long px = be.ptr(x, "axpy x", DType.F32), py = be.ptr(y, "axpy y", DType.F32);
        be.kernels().launchFlat(KernelSignature.AXPY_F32, x.size(), be.stream(), KernelArgs.begin().f32(alpha).ptr(px).ptr(py).u64(x.size()));
    }

    @Override
    public void addScaledSign(float s, Tensor x, Tensor y) {
        be.enter();
        Tensor.requireSameSize("addScaledSign", x, y);
        long px = be.ptr(x, "addScaledSign x", DType.F32), py = be.ptr(y, "addScaledSign y", DType.F32);
        be.kernels().launchFlat(KernelSignature.ADD_SCALED_SIGN_F32, x.size(), be.stream(), KernelArgs.begin().f32(s).ptr(px).ptr(py).u64(x.size()));
    }

    @Override
    public void scale(Tensor x, float alpha) {
        be.enter();
        long px = be.ptr(x, "scale x", DType.F32);
        be.kernels().launchFlat(KernelSignature.SCALE_F32, x.size(), be.stream(), KernelArgs.begin().ptr(px).u64(x.size()).f32(alpha));
    }

    @Override
    public double dot(Tensor x, Tensor y) {
        be.enter();
        Tensor.requireSameSize("dot", x, y);
        return sum(be.ptr(x, "dot x", DType.F32), be.ptr(y, "dot y", DType.F32), x.size());
    }

    @Override
    public double norm(Tensor x) {
        be.enter();
        return Math.sqrt(sum(be.ptr(x, "norm x", DType.F32), 0, x.size()));
    }

    /** sum x[i]*y[i] (y = 0: x[i]^2) in double, in the fixed order of the launch. */
    private double sum(long x, long y, long n) {
        if (n == 0) return 0;
        LaunchConfig config = LaunchConfig.flat(n, be.multiprocessors());
        long partials = be.reductionScratch(), total = partials + 8L * be.maxFlatGrid();
        be.kernels().launch(KernelSignature.DOT_PARTIALS, config, be.stream(), KernelArgs.begin().ptr(x).ptr(y).u64(n).ptr(partials));
        be.kernels().launch(KernelSignature.SUM_PARTIALS, new LaunchConfig(1, 32), be.stream(),
                KernelArgs.begin().ptr(partials).i32(config.gridX()).ptr(total));
        return be.readDouble(total);
    }
}
