package io.sparsestep.nn;

import io.sparsestep.params.ParamGroup;
import io.sparsestep.backend.Backend;
import io.sparsestep.backend.Tensor;

/** y = x W^T + b with W [out, in] (PyTorch layout); any input shape is read as flattened. */
public final class Linear extends Layer {
    private final int outFeatures;
    private final boolean hasBias;
    private int inFeatures;
    private Backend be;
    private Param weight, bias;
    private Slot out, dxSlot;
    private Tensor x;

    public Linear(String name, int outFeatures) { this(name, outFeatures, true); }

    public Linear(String name, int outFeatures, boolean bias) {
        super(name);
        this.outFeatures = outFeatures;
        this.hasBias = bias;
    }

    public int outFeatures() { return outFeatures; }
    boolean hasBias() { return hasBias; }

    /** The same layer with another number of outputs (an unplanned copy). */
    Linear withOutFeatures(int width) { return new Linear(name, width, hasBias); }

    @Override
    public int[] plan(int[] in, Planner p) {
        be = p.backend();
        inFeatures = Math.toIntExact(volume(in));
        p.push(name);
        weight = p.param("weight", new int[]{outFeatures, inFeatures}, ParamGroup.WEIGHTS, Init.KAIMING_NORMAL, inFeatures);
        if (hasBias) bias = p.param("bias", new int[]{outFeatures}, ParamGroup.BIAS_AND_NORM, Init.ZEROS, inFeatures);
        p.pop();
        out = p.activation(outFeatures);
        if (needInputGrad) dxSlot = p.activation(in);
        return new int[]{outFeatures};
    }

    @Override
    public Tensor forward(Tensor input, boolean training) {
        int n = input.dim(0);
        x = input;
        Tensor y = out.rows(n);
        be.gemm(false, true, n, outFeatures, inFeatures, 1f, input, weight.value().get(), 0f, y);
        if (hasBias) be.elementwise().addBias(y, bias.value().get(), n, outFeatures, 1);
        return y;
    }

    @Override
    public Tensor backward(Tensor dy) {
        int n = dy.dim(0);
        be.gemm(true, false, outFeatures, inFeatures, n, 1f, dy, x, 0f, weight.grad().get());
        if (hasBias) be.elementwise().biasGradient(dy, bias.grad().get(), n, outFeatures, 1);
        if (!needInputGrad) return null;
        Tensor dx = dxSlot.rows(n);
        be.gemm(false, false, n, inFeatures, outFeatures, 1f, dy, weight.value().get(), 0f, dx);
        return dx;
    }
}
