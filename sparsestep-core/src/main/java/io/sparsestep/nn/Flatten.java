package io.sparsestep.nn;

import io.sparsestep.backend.Tensor;

/** [C,H,W] to [C*H*W]: a reshape of the same memory, no copy. */
public final class Flatten extends Layer {
    private int[] inShape;

    public Flatten(String name) { super(name); }

    @Override
    public int[] plan(int[] in, Planner p) {
        inShape = in.clone();
        return new int[]{Math.toIntExact(volume(in))};
    }

    @Override
    public Tensor forward(Tensor x, boolean training) {
        return x.reshape(x.dim(0), Math.toIntExact(x.size() / x.dim(0)));
    }

    @Override
    public Tensor backward(Tensor dy) {
        return needInputGrad ? dy.reshape(withBatch(dy.dim(0), inShape)) : null;
    }
}
