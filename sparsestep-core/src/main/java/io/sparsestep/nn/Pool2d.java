package io.sparsestep.nn;

import io.sparsestep.backend.Backend;
import io.sparsestep.backend.PoolGeometry;
import io.sparsestep.backend.PoolMode;
import io.sparsestep.backend.Tensor;

/** Max or average pooling; {@link #global} averages each whole plane to one value. */
public final class Pool2d extends Layer {
    private final PoolMode mode;
    private final int window, stride, padding;
    private final boolean global;
    private Backend be;
    private PoolGeometry full;
    private Slot out, dxSlot;
    private Tensor x, y;

    private Pool2d(String name, PoolMode mode, int window, int stride, int padding, boolean global) {
        super(name);
        this.mode = mode;
        this.window = window;
        this.stride = stride;
        this.padding = padding;
        this.global = global;
    }

    public static Pool2d max(String name, int window, int stride) { return new Pool2d(name, PoolMode.MAX, window, stride, 0, false); }

    public static Pool2d average(String name, int window, int stride, int padding) {
        return new Pool2d(name, PoolMode.AVERAGE, window, stride, padding, false);
    }

    /** Global average pooling: [C,H,W] to [C,1,1]. */
    public static Pool2d globalAverage(String name) { return new Pool2d(name, PoolMode.AVERAGE, 0, 1, 0, true); }

    PoolMode mode() { return mode; }
    int window() { return window; }
    int stride() { return stride; }
    int padding() { return padding; }
    boolean global() { return global; }

    @Override
    public int[] plan(int[] in, Planner p) {
        if (in.length != 3) throw new IllegalArgumentException(name + ": pooling needs a [C,H,W] input, got rank " + in.length);
        be = p.backend();
        full = global
                ? new PoolGeometry(p.maxBatch(), in[0], in[1], in[2], in[1], in[2], 1, 1, 0, 0)
                : new PoolGeometry(p.maxBatch(), in[0], in[1], in[2], window, window, stride, stride, padding, padding);
        int[] o = {in[0], full.outH(), full.outW()};
        out = p.activation(o);
        if (needInputGrad) dxSlot = p.activation(in);
        return o;
    }

    private PoolGeometry geometry(int n) { return n == full.n() ? full : full.withBatch(n); }

    @Override
    public Tensor forward(Tensor input, boolean training) {
        int n = input.dim(0);
        x = input;
        y = out.rows(n);
        be.poolForward(mode, geometry(n), input, y);
        return y;
    }

    @Override
    public Tensor backward(Tensor dy) {
        if (!needInputGrad) return null;
        int n = dy.dim(0);
        Tensor dx = dxSlot.rows(n);
        be.poolBackward(mode, geometry(n), x, y, dy, dx);
        return dx;
    }
}
