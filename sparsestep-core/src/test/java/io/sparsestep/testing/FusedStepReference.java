package io.sparsestep.testing;

/**
 * The fused optimizer steps written out one element at a time in plain float32, in the order
 * docs/DESIGN.md and ALGORITHMS.md section 1 give them. Java never contracts {@code a - b*c}
 * into a fused multiply-add, so each line rounds exactly as the kernels' vector lanes and
 * scalar tail must: the kernels are held to these results bit for bit.
 */
public final class FusedStepReference {
    private FusedStepReference() {
    }

    /**
     * S_tau(a) = sign(a) * max(|a| - tau, 0), with a pruned weight written as +0.0 whatever
     * the sign of a (the CPU and CUDA kernels both do; {@code Math.signum(a) * 0} would give
     * -0.0). NaN stays NaN, so a diverged accumulator is never mistaken for a pruned weight.
     */
    public static float softThreshold(float a, float tau) {
        if (a > tau) return a - tau;
        if (a < -tau) return a + tau;
        return Float.isNaN(a) ? a : +0.0f;
    }

    /** One gRDA step over [from, to): {@code acc -= lr*g; w = S_tau(acc)}; returns the zeros written to w. */
    public static long grda(float[] w, float[] g, float[] acc, int from, int to, float lr, float tau) {
        long zeros = 0;
        for (int i = from; i < to; i++) {
            acc[i] = acc[i] - lr * g[i];
            w[i] = softThreshold(acc[i], tau);
            if (w[i] == 0f) zeros++;
        }
        return zeros;
    }

    /** {@link #grda(float[], float[], float[], int, int, float, float)} over whole arrays. */
    public static long grda(float[] w, float[] g, float[] acc, float lr, float tau) {
        return grda(w, g, acc, 0, w.length, lr, tau);
    }

    /**
     * One torch.optim.SGD step over [from, to): {@code d = g + wd*w}; with momentum
     * {@code buf = first ? d : momentum*buf + (1-dampening)*d} and
     * {@code d = nesterov ? d + momentum*buf : buf}; then {@code w = w - lr*d}. Without
     * momentum the buffer is neither read nor written (it may be null) and dampening does
     * nothing, as in PyTorch.
     */
    public static void sgd(float[] w, float[] g, float[] buf, int from, int to, float lr, SgdVariant v, boolean firstStep) {
        for (int i = from; i < to; i++) {
            float d = g[i];
            if (v.weightDecay() != 0f) d = d + v.weightDecay() * w[i];
            if (v.momentum() != 0f) {
                buf[i] = firstStep ? d : v.momentum() * buf[i] + (1f - v.dampening()) * d;
                d = v.nesterov() ? d + v.momentum() * buf[i] : buf[i];
            }
            w[i] = w[i] - lr * d;
        }
    }

    /** {@link #sgd(float[], float[], float[], int, int, float, SgdVariant, boolean)} over whole arrays. */
    public static void sgd(float[] w, float[] g, float[] buf, float lr, SgdVariant v, boolean firstStep) {
        sgd(w, g, buf, 0, w.length, lr, v, firstStep);
    }

    /**
     * One GSM step over whole arrays (gsm_train.py's rule, ALGORITHMS.md 3.1): the gradient
     * survives where {@code |g*w| >= threshold} (ties kept; a NaN score compares false), then
     * {@link #sgd} with dampening 0 on it. The variant's dampening must be 0.
     */
    public static void gsm(float[] w, float[] g, float[] buf, float threshold, float lr, SgdVariant v, boolean firstStep) {
        if (v.dampening() != 0f) throw new IllegalArgumentException("GSM has no dampening: " + v);
        float[] gated = new float[g.length];
        for (int i = 0; i < g.length; i++) gated[i] = Math.abs(g[i] * w[i]) >= threshold ? g[i] : 0f;
        sgd(w, gated, buf, lr, v, firstStep);
    }

    /**
     * One masked SGD step over whole arrays: {@link #sgd} on {@code mask[i] != 0 ? g : +0},
     * then, when {@code zeroPruned}, +0.0 for every pruned weight.
     */
    public static void maskedSgd(float[] w, float[] g, float[] buf, byte[] mask, float lr, SgdVariant v, boolean firstStep,
                                 boolean zeroPruned) {
        float[] gated = new float[g.length];
        for (int i = 0; i < g.length; i++) gated[i] = mask[i] != 0 ? g[i] : 0f;
        sgd(w, gated, buf, lr, v, firstStep);
        if (zeroPruned) {
            for (int i = 0; i < w.length; i++) {
                if (mask[i] == 0) w[i] = 0f;
            }
        }
    }
}
