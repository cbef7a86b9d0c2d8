package io.sparsestep.backend.cuda;

import io.sparsestep.backend.DType;
import io.sparsestep.backend.GroupChecks;
import io.sparsestep.backend.GroupGeometry;
import io.sparsestep.backend.GroupOps;
import io.sparsestep.backend.Tensor;

/**
 * kernels/group.cu behind {@link GroupOps}: one launch per op. Groups of up to
 * {@link GroupOps#SEQUENTIAL_MAX} elements run one thread per group, larger ones one block
 * of {@link LaunchConfig#BLOCK} threads per group: the block size is part of the reduction
 * order the CPU twin replays, so it is fixed here. Nothing waits.
 */
final class CudaGroupOps implements GroupOps {
    private final CudaBackend be;

    CudaGroupOps(CudaBackend be) { this.be = be; }

    @Override
    public void sdprun(GroupGeometry geo, Tensor w, Tensor g, Tensor acc, float lr, float threshold, Tensor sumSquares,
                       Tensor zeroCounter) {
        be.enter();
        GroupChecks.sdprun(geo, w, g, acc, threshold, sumSquares);
        long pw = be.ptr(w, "sdprun w"), pg = be.ptr(g, "sdprun g"), pa = be.ptr(acc, "sdprun acc");
        long sums = sumSquares == null ? 0 : be.ptr(sumSquares, "sdprun sumSquares", DType.F64);
        long counter = zeroCounter == null ? 0 : be.input(zeroCounter, "sdprun zero counter", 1);
        boolean small = geo.groupSize() <= SEQUENTIAL_MAX;
        be.kernels().launch(small ? KernelSignature.GROUP_SDPRUN_STEP_SMALL : KernelSignature.GROUP_SDPRUN_STEP, launch(geo),
                be.stream(), shape(KernelArgs.begin().ptr(pw).ptr(pg).ptr(pa), geo).f32(lr).f32(threshold).ptr(sums).ptr(counter));
    }

    @Override
    public void norms(GroupGeometry geo, Norm norm, Tensor x, Tensor norms) {
        be.enter();
        GroupChecks.norms(geo, x, norms);
        long px = be.ptr(x, "group norms x"), out = be.ptr(norms, "group norms output");
        be.kernels().launch(KernelSignature.GROUP_NORMS, launch(geo), be.stream(),
                shape(KernelArgs.begin().ptr(px), geo).i32(norm == Norm.L2 ? 1 : 0).ptr(out));
    }

    @Override
    public void applyMask(GroupGeometry geo, Tensor mask, Tensor x) {
        be.enter();
        GroupChecks.mask(geo, mask, x);
        long pm = be.ptr(mask, "group mask", DType.U8), px = be.ptr(x, "group-masked tensor");
        be.kernels().launchFlat(KernelSignature.GROUP_MASK_APPLY, geo.size(), be.stream(),
                KernelArgs.begin().ptr(pm).ptr(px).i32(geo.size()).i32(geo.segment()).i32(geo.period()));
    }

    /** groups, m, seg, stride: the kernels' description of a grouping. */
    private static KernelArgs shape(KernelArgs args, GroupGeometry geo) {
        return args.i32(geo.groups()).i32(geo.groupSize()).i32(geo.segment()).i32(geo.stride());
    }

    /** Small groups: threads over groups, at most one wave; larger: one 256-thread block per group. */
    private LaunchConfig launch(GroupGeometry geo) {
        if (geo.groupSize() > SEQUENTIAL_MAX) return LaunchConfig.perRow(geo.groups());
        long blocks = Math.ceilDiv(geo.groups(), LaunchConfig.BLOCK);
        return new LaunchConfig((int) Math.max(1, Math.min(blocks, be.maxFlatGrid())), LaunchConfig.BLOCK);
    }
}
