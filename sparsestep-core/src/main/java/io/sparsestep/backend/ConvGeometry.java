package io.sparsestep.backend;

/**
 * Shape of a 2-D convolution over an NCHW batch: input [n,c,h,w], filter [k,c,r,s],
 * output [n,k,outH,outW]. Cross-correlation, as cuDNN and PyTorch compute it.
 */
public record ConvGeometry(int n, int c, int h, int w, int k, int r, int s,
                           int strideH, int strideW, int padH, int padW) {
    public ConvGeometry {
        if (n <= 0 || c <= 0 || h <= 0 || w <= 0 || k <= 0 || r <= 0 || s <= 0 || strideH <= 0 || strideW <= 0
                || padH < 0 || padW < 0) {
            throw new IllegalArgumentException("invalid convolution " + this);
        }
        if (h + 2 * padH < r || w + 2 * padW < s) throw new IllegalArgumentException("filter larger than padded input: " + this);
    }

    public int outH() { return (h + 2 * padH - r) / strideH + 1; }
    public int outW() { return (w + 2 * padW - s) / strideW + 1; }
    public long inputSize() { return (long) n * c * h * w; }
    public long filterSize() { return (long) k * c * r * s; }
    public long outputSize() { return (long) n * k * outH() * outW(); }

    /** The same convolution for another batch size. */
    public ConvGeometry withBatch(int batch) {
        return new ConvGeometry(batch, c, h, w, k, r, s, strideH, strideW, padH, padW);
    }
}
