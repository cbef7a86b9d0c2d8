package io.sparsestep.backend.cuda;

/**
 * cuDNN descriptors for spatial batch norm over [n, channels, spatial]: the activations as
 * a 4-d tensor (n, channels, 1, spatial) and the per-channel parameters as (1, channels, 1, 1).
 */
final class BatchNormPlan implements AutoCloseable {
    record Key(int n, int channels, int spatial) {}

    final long x, channel;
    private final Cudnn cudnn;

    BatchNormPlan(Cudnn cudnn, Key k) {
        this.cudnn = cudnn;
        long xd = cudnn.tensor4d(k.n(), k.channels(), 1, k.spatial());
        try {
            this.channel = cudnn.tensor4d(1, k.channels(), 1, 1);
        } catch (RuntimeException e) {
            cudnn.destroyTensor(xd);
            throw e;
        }
        this.x = xd;
    }

    @Override
    public void close() {
        cudnn.destroyTensor(x);
        cudnn.destroyTensor(channel);
    }
}
