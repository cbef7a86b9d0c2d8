package io.sparsestep.backend.cpu;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The single-threaded bodies of the masked optimizer steps (kernels/optim.cu:
 * {@code gsm_step}, {@code masked_sgd_step}): GSM's score-gated momentum SGD and SGD under a
 * fixed mask. Each element's arithmetic is {@link CpuFusedSteps#sgdStep}'s, on a gated
 * gradient, with every product and sum rounded separately, so the kernels match bit for bit.
 */
final class CpuMaskedSteps {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT;
    private static final ValueLayout.OfByte B = ValueLayout.JAVA_BYTE;

    private CpuMaskedSteps() {}

    /** The hyperparameters of one step, fixed for the range. */
    record Hyper(float lr, float momentum, float dampening, float weightDecay, boolean nesterov, boolean firstStep) {}

    /**
     * GSM over [off, off+n): selected = |g*w| >= threshold (NaN never); d = (selected ? g : +0)
     * + wd*w; momentum with dampening 0; w -= lr*d'.
     */
    static void gsm(MemorySegment w, MemorySegment g, MemorySegment buf, long off, long n, float threshold, Hyper h) {
        for (long i = off; i < off + n; i++) {
            float wi = w.getAtIndex(F, i), gi = g.getAtIndex(F, i);
            float gated = Math.abs(gi * wi) >= threshold ? gi : 0f;
            w.setAtIndex(F, i, apply(w, buf, i, wi, gated, h));
        }
    }

    /** SGD on g' = mask ? g : +0 over [off, off+n); then pruned weights set to +0 when {@code zeroPruned}. */
    static void masked(MemorySegment w, MemorySegment g, MemorySegment buf, MemorySegment mask, long off, long n, Hyper h,
                       boolean zeroPruned) {
        for (long i = off; i < off + n; i++) {
            float wi = w.getAtIndex(F, i);
            boolean kept = mask.get(B, i) != 0;
            float updated = apply(w, buf, i, wi, kept ? g.getAtIndex(F, i) : 0f, h);
            w.setAtIndex(F, i, zeroPruned && !kept ? 0f : updated);
        }
    }

    /** PyTorch's SGD on one element with gradient d (updates the momentum buffer); returns the new weight. */
    private static float apply(MemorySegment w, MemorySegment buf, long i, float wi, float d, Hyper h) {
        if (h.weightDecay() != 0f) d = d + h.weightDecay() * wi;
        if (h.momentum() != 0f) {
            float b = h.firstStep() ? d : h.momentum() * buf.getAtIndex(F, i) + (1f - h.dampening()) * d;
            buf.setAtIndex(F, i, b);
            d = h.nesterov() ? d + h.momentum() * b : b;
        }
        return wi - h.lr() * d;
    }
}
