package io.sparsestep.nn;

import io.sparsestep.backend.Backend;
import io.sparsestep.backend.Tensor;

/**
 * max(x, 0). The backward pass reads the output, so the input need not be kept. Right
 * after a batch norm in a {@link Sequential} the batch norm does both directions (its
 * output is already max(0, bn(x)), its backward takes this layer's gradient): this layer
 * then plans no memory and passes its input and gradient through.
 */
public final class ReLU extends Layer {
    private Backend be;
    private Slot out, dxSlot;
    private Tensor y;
    private boolean fusedIntoBatchNorm;

    public ReLU(String name) { super(name); }

    @Override
    public int[] plan(int[] in, Planner p) {
        be = p.backend();
        if (fusedIntoBatchNorm) return in.clone();
        out = p.activation(in);
        if (needInputGrad) dxSlot = p.activation(in);
        return in.clone();
    }

    @Override
    public Tensor forward(Tensor x, boolean training) {
        if (fusedIntoBatchNorm) {
            y = x;
            return y;
        }
        y = out.rows(x.dim(0)).reshape(x.shape());
        be.elementwise().reluForward(x, y);
        return y;
    }

    /** The output of the last forward pass (null before one): what analyses of the activations read (`pca-widths`). */
    public Tensor output() { return y; }

    /** Set by the enclosing {@link Sequential} before planning: whether the batch norm before this layer applies it. */
    void setFusedIntoBatchNorm(boolean fused) { this.fusedIntoBatchNorm = fused; }

    @Override
    public Tensor backward(Tensor dy) {
        if (!needInputGrad) return null;
        if (fusedIntoBatchNorm) return dy;
        Tensor dx = dxSlot.rows(dy.dim(0)).reshape(dy.shape());
        be.elementwise().reluBackward(y, dy, dx);
        return dx;
    }
}
