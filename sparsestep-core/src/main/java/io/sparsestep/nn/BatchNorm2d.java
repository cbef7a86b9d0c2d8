package io.sparsestep.nn;

import io.sparsestep.params.ParamGroup;
import io.sparsestep.backend.Backend;
import io.sparsestep.backend.Tensor;

/**
 * Batch norm per channel over batch and space (a [C] input is BatchNorm1d). Training mode
 * uses batch statistics and moves the running ones; evaluation uses the running ones.
 */
public final class BatchNorm2d extends Layer {
    public static final float DEFAULT_EPS = 1e-5f;
    public static final float DEFAULT_MOMENTUM = 0.1f;
    private final float eps;
    private float momentum;
    private Backend be;
    private int channels, spatial;
    private Param gamma, beta;
    private Slot runningMean, runningVar, saveMean, saveInvStd, out, dxSlot, reluScratch;
    private Tensor x;
    /** A following ReLU is fused in (see {@link Sequential}): out holds max(0, bn(x)). */
    private boolean relu;

    public BatchNorm2d(String name) { this(name, DEFAULT_EPS, DEFAULT_MOMENTUM); }

    public BatchNorm2d(String name, float eps, float momentum) {
        super(name);
        this.eps = eps;
        this.momentum = momentum;
    }

    float eps() { return eps; }

    /** Whether the ReLU that follows runs inside this layer's ops; set before {@link #plan}. */
    void fuseRelu(boolean fused) { this.relu = fused; }

    /** The running statistics' momentum: running = (1-m) running + m batch, PyTorch's convention. */
    public float momentum() { return momentum; }

    /**
     * Sets the momentum of later training-mode passes; recomputing the statistics of a point
     * on a loss curve sets b/(seen+b) per batch for a cumulative average (analysis.BatchNormStatistics).
     */
    public void setMomentum(float m) {
        if (!(m >= 0 && m <= 1)) throw new IllegalArgumentException(name + ": batch-norm momentum must be in [0, 1], got " + m);
        this.momentum = m;
    }

    @Override
    public int[] plan(int[] in, Planner p) {
        be = p.backend();
        channels = in[0];
        spatial = Math.toIntExact(volume(in) / channels);
        p.push(name);
        gamma = p.param("weight", new int[]{channels}, ParamGroup.BIAS_AND_NORM, Init.ONES, 1);
        beta = p.param("bias", new int[]{channels}, ParamGroup.BIAS_AND_NORM, Init.ZEROS, 1);
        runningMean = p.state("running_mean", channels, 0f);
        runningVar = p.state("running_var", channels, 1f);
        p.pop();
        saveMean = p.buffer(channels);
        saveInvStd = p.buffer(channels);
        out = p.activation(in);
        if (needInputGrad) dxSlot = p.activation(in);
        if (relu) reluScratch = p.scratch(be.batchNormReluWorkspaceWords(p.maxBatch(), channels, spatial));
        return in.clone();
    }

    @Override
    protected boolean trainsBatchOf(int n) { return (long) n * spatial >= 2; }

    @Override
    public Tensor forward(Tensor input, boolean training) {
        int n = input.dim(0);
        x = input;
        Tensor y = out.rows(n);
        if (training) {
            if ((long) n * spatial < 2) {
                throw new IllegalArgumentException(name + ": batch norm in training needs at least 2 values per channel, got a batch of "
                        + n + " with " + spatial + " per channel (use a batch size of 2 or more)");
            }
            if (relu) {
                be.batchNormReluForwardTraining(n, channels, spatial, input, y, gamma.value().get(), beta.value().get(),
                        runningMean.get(), runningVar.get(), saveMean.get(), saveInvStd.get(), momentum, eps);
            } else {
                be.batchNormForwardTraining(n, channels, spatial, input, y, gamma.value().get(), beta.value().get(),
                        runningMean.get(), runningVar.get(), saveMean.get(), saveInvStd.get(), momentum, eps);
            }
        } else if (relu) {
            be.batchNormReluForwardInference(n, channels, spatial, input, y, gamma.value().get(), beta.value().get(),
                    runningMean.get(), runningVar.get(), eps);
        } else {
            be.batchNormForwardInference(n, channels, spatial, input, y, gamma.value().get(), beta.value().get(),
                    runningMean.get(), runningVar.get(), eps);
        }
        return y;
    }

    @Override
    public Tensor backward(Tensor dy) {
        int n = dy.dim(0);
        // batch norm's input gradient is needed for its parameter gradients anyway; the
        // first-layer case (no input gradient wanted) does not occur in our models.
        Tensor dx = needInputGrad ? dxSlot.rows(n) : null;
        if (dx == null) throw new IllegalStateException(name + ": batch norm as the first layer is not supported");
        if (relu) {
            // dy is the gradient of the ReLU's output, which is ours (out).
            be.batchNormReluBackward(n, channels, spatial, x, out.rows(n), dy, gamma.value().get(), saveMean.get(), saveInvStd.get(),
                    dx, gamma.grad().get(), beta.grad().get(), eps, reluScratch.get());
        } else {
            be.batchNormBackward(n, channels, spatial, x, dy, gamma.value().get(), saveMean.get(), saveInvStd.get(),
                    dx, gamma.grad().get(), beta.grad().get(), eps);
        }
        return dx;
    }
}
