package io.sparsestep.nn;

import io.sparsestep.params.ParamGroup;
import io.sparsestep.backend.Backend;
import io.sparsestep.backend.ConvGeometry;
import io.sparsestep.backend.Tensor;

/** 2-D convolution (cross-correlation), filter [k, c, r, s], optional bias; NCHW. */
public final class Conv2d extends Layer {
    private final int outChannels, kernel, stride, padding;
    private final boolean hasBias;
    private Backend be;
    private Param weight, bias;
    private Slot out, dxSlot;
    private ConvGeometry full;
    private Tensor x;
    private Slot scratch;

    public Conv2d(String name, int outChannels, int kernel, int stride, int padding, boolean bias) {
        super(name);
        this.outChannels = outChannels;
        this.kernel = kernel;
        this.stride = stride;
        this.padding = padding;
        this.hasBias = bias;
    }

    int outChannels() { return outChannels; }
    int kernel() { return kernel; }
    int stride() { return stride; }
    int padding() { return padding; }
    boolean hasBias() { return hasBias; }

    /** The same convolution with another number of filters (an unplanned copy). */
    Conv2d withOutChannels(int width) { return new Conv2d(name, width, kernel, stride, padding, hasBias); }

    @Override
    public int[] plan(int[] in, Planner p) {
        if (in.length != 3) throw new IllegalArgumentException(name + ": Conv2d needs a [C,H,W] input, got rank " + in.length);
        be = p.backend();
        full = new ConvGeometry(p.maxBatch(), in[0], in[1], in[2], outChannels, kernel, kernel, stride, stride, padding, padding);
        int fanIn = in[0] * kernel * kernel;
        p.push(name);
        weight = p.param("weight", new int[]{outChannels, in[0], kernel, kernel}, ParamGroup.WEIGHTS, Init.KAIMING_NORMAL, fanIn);
        if (hasBias) bias = p.param("bias", new int[]{outChannels}, ParamGroup.BIAS_AND_NORM, Init.ZEROS, fanIn);
        p.pop();
        scratch = p.scratch(be.convWorkspaceWords(full));
        out = p.activation(outChannels, full.outH(), full.outW());
        if (needInputGrad) dxSlot = p.activation(in);
        return new int[]{outChannels, full.outH(), full.outW()};
    }

    private ConvGeometry geometry(int n) { return n == full.n() ? full : full.withBatch(n); }

    @Override
    protected void prepareBatch(int n) {
        // The scratch was sized for the full batch; a smaller batch only has to fit in it
        // with some algorithm (cuDNN's fastest for it may want more, measured on this GPU).
        long need = be.convMinWorkspaceWords(geometry(n));
        if (need > scratch.size()) {
            throw new IllegalStateException(name + ": batch " + n + " needs " + need + " scratch words, planned " + scratch.size());
        }
    }

    @Override
    public Tensor forward(Tensor input, boolean training) {
        int n = input.dim(0);
        x = input;
        ConvGeometry g = geometry(n);
        Tensor y = out.rows(n);
        be.convForward(g, input, weight.value().get(), y, scratch.get());
        if (hasBias) be.elementwise().addBias(y, bias.value().get(), n, outChannels, g.outH() * g.outW());
        return y;
    }

    @Override
    public Tensor backward(Tensor dy) {
        int n = dy.dim(0);
        ConvGeometry g = geometry(n);
        be.convBackwardFilter(g, x, dy, weight.grad().get(), scratch.get());
        if (hasBias) be.elementwise().biasGradient(dy, bias.grad().get(), n, outChannels, g.outH() * g.outW());
        if (!needInputGrad) return null;
        Tensor dx = dxSlot.rows(n);
        be.convBackwardData(g, dy, weight.value().get(), dx, scratch.get());
        return dx;
    }
}
