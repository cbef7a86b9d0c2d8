package io.sparsestep.backend;

/**
 * Shape of a 2-D pooling window over an NCHW batch. Average pooling counts only the
 * in-bounds elements when padding is used (cuDNN's EXCLUDE_PADDING, PyTorch's
 * count_include_pad=False). A global average pool is a window of the whole plane.
 */
public record PoolGeometry(int n, int c, int h, int w, int windowH, int windowW,
                           int strideH, int strideW, int padH, int padW) {
    public PoolGeometry {
        if (n <= 0 || c <= 0 || h <= 0 || w <= 0 || windowH <= 0 || windowW <= 0 || strideH <= 0 || strideW <= 0
                || padH < 0 || padW < 0 || padH >= windowH || padW >= windowW) {
            throw new IllegalArgumentException("invalid pooling " + this);
        }
    }

    public int outH() { return (h + 2 * padH - windowH) / strideH + 1; }
    public int outW() { return (w + 2 * padW - windowW) / strideW + 1; }
    public long inputSize() { return (long) n * c * h * w; }
    public long outputSize() { return (long) n * c * outH() * outW(); }

    public PoolGeometry withBatch(int batch) {
        return new PoolGeometry(batch, c, h, w, windowH, windowW, strideH, strideW, padH, padW);
    }
}
