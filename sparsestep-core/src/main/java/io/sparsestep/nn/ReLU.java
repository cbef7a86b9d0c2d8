package io.sparsestep.nn;

import io.sparsestep.backend.Backend;
import io.sparsestep.backend.Tensor;

/** max(x, 0). The backward pass reads the output, so the input need not be kept. */
public final class ReLU extends Layer {
    private Backend be;
    private Slot out, dxSlot;
    private Tensor y;

    public ReLU(String name) { super(name); }

    @Override
    public int[] plan(int[] in, Planner p) {
        be = p.backend();
        out = p.activation(in);
        if (needInputGrad) dxSlot = p.activation(in);
        return in.clone();
    }

    @Override
    public Tensor forward(Tensor x, boolean training) {
        y = out.rows(x.dim(0)).reshape(x.shape());
        be.elementwise().reluForward(x, y);
        return y;
    }

    /** The output of the last forward pass (null before one): what analyses of the activations read (`pca-widths`). */
    public Tensor output() { return y; }

    @Override
    public Tensor backward(Tensor dy) {
        if (!needInputGrad) return null;
        Tensor dx = dxSlot.rows(dy.dim(0)).reshape(dy.shape());
        be.elementwise().reluBackward(y, dy, dx);
        return dx;
    }
}
