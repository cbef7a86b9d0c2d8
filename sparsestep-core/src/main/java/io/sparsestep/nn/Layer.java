package io.sparsestep.nn;

import io.sparsestep.backend.Tensor;

import java.util.List;

/**
 * One node of the graph. A layer plans its memory once ({@link #plan}), then runs on views:
 * {@link #forward} keeps what {@link #backward} needs (its input view, its own output);
 * {@link #backward} writes parameter gradients (overwriting: each parameter is used once
 * per step) and returns the gradient of its input. The set of layer kinds is closed
 * (sealed), so the walks over a model ({@link ModelGraph}, {@link Models#create(Architecture, int[], int)})
 * are exhaustive switches that a new kind of layer cannot slip past.
 */
public abstract sealed class Layer permits BatchNorm2d, Conv2d, Flatten, Linear, Pool2d, ReLU, Residual, Sequential {
    protected final String name;
    /** False for the first layer of a network: nobody needs the input gradient. */
    protected boolean needInputGrad = true;

    protected Layer(String name) { this.name = name; }

    public String name() { return name; }

    /** Declares parameters and memory for per-sample input shape {@code in}; returns the output shape. */
    public abstract int[] plan(int[] in, Planner p);

    public abstract Tensor forward(Tensor x, boolean training);

    /** Gradient of the input, or null when {@link #needInputGrad} is false. */
    public abstract Tensor backward(Tensor dy);

    void setNeedInputGrad(boolean need) { this.needInputGrad = need; }

    /**
     * Called before training for every batch size other than the planned one that will
     * occur (a smaller last batch), so per-shape setup (cuDNN's algorithm search) happens
     * here and not inside a step. Containers need not forward: the network visits every layer.
     */
    protected void prepareBatch(int n) {}

    /**
     * Whether a training step on a batch of {@code n} is defined for this layer alone (batch
     * norm needs two values per channel for its batch statistics). Containers need not
     * forward: the network asks every layer.
     */
    protected boolean trainsBatchOf(int n) { return true; }

    /** Direct children (for containers), used for naming and reporting. */
    public List<Layer> children() { return List.of(); }

    static long volume(int[] shape) {
        long v = 1;
        for (int d : shape) v *= d;
        return v;
    }

    static int[] withBatch(int n, int[] perSample) {
        int[] s = new int[perSample.length + 1];
        s[0] = n;
        System.arraycopy(perSample, 0, s, 1, perSample.length);
        return s;
    }
}
