package io.sparsestep.backend.cuda;

import io.sparsestep.backend.PoolGeometry;
import io.sparsestep.backend.PoolMode;

/**
 * cuDNN descriptors for one pooling geometry and mode. MAX uses
 * CUDNN_POOLING_MAX_DETERMINISTIC (the gradient goes to one maximum per window, the same
 * one every run); AVERAGE uses CUDNN_POOLING_AVERAGE_COUNT_EXCLUDE_PADDING, dividing by the
 * in-bounds elements only, as {@link PoolGeometry} specifies.
 */
final class PoolPlan implements AutoCloseable {
    record Key(PoolMode mode, PoolGeometry geometry) {}

    final long x, y, pool;
    private final Cudnn cudnn;

    PoolPlan(Cudnn cudnn, PoolMode mode, PoolGeometry g) {
        this.cudnn = cudnn;
        int cudnnMode = mode == PoolMode.MAX ? Cudnn.CUDNN_POOLING_MAX_DETERMINISTIC : Cudnn.CUDNN_POOLING_AVERAGE_COUNT_EXCLUDE_PADDING;
        long xd = cudnn.tensor4d(g.n(), g.c(), g.h(), g.w());
        long yd = 0, pd = 0;
        try {
            yd = cudnn.tensor4d(g.n(), g.c(), g.outH(), g.outW());
            pd = cudnn.pooling2d(cudnnMode, g.windowH(), g.windowW(), g.padH(), g.padW(), g.strideH(), g.strideW());
            Cudnn.requireSameShape(cudnn.poolingOutput(pd, xd), g, g.n(), g.c(), g.outH(), g.outW());
        } catch (RuntimeException e) {
            cudnn.destroyTensor(xd);
            if (yd != 0) cudnn.destroyTensor(yd);
            if (pd != 0) cudnn.destroyPooling(pd);
            throw e;
        }
        this.pool = pd;
        this.x = xd;
        this.y = yd;
    }

    @Override
    public void close() {
        cudnn.destroyTensor(x);
        cudnn.destroyTensor(y);
        cudnn.destroyPooling(pool);
    }
}
