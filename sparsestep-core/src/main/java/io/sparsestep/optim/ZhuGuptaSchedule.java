package io.sparsestep.optim;

/**
 * The gradual pruning schedule of Zhu and Gupta (2017), as TF-MOT's PolynomialDecay
 * (ALGORITHMS.md 4): {@code s_t = s_f + (s_i - s_f) * (1 - p)^3}, {@code p = clip((t - t0) /
 * (t_end - t0), 0, 1)}, with a mask update at step t only when {@code t0 <= t <= t_end} and
 * {@code (t - t0) mod frequency == 0}. Steps count from 0 (the first step is t = 0).
 */
public record ZhuGuptaSchedule(double initialSparsity, double finalSparsity, long beginStep, long endStep, long frequency) {
    public ZhuGuptaSchedule {
        if (!(finalSparsity >= 0 && finalSparsity < 1)) throw new IllegalArgumentException("final sparsity must be in [0, 1), got " + finalSparsity);
        if (!(initialSparsity >= 0 && initialSparsity <= finalSparsity)) {
            throw new IllegalArgumentException("initial sparsity must be in [0, final sparsity " + finalSparsity + "], got " + initialSparsity);
        }
        if (beginStep < 0) throw new IllegalArgumentException("begin step must be >= 0, got " + beginStep);
        if (endStep <= beginStep) throw new IllegalArgumentException("end step " + endStep + " must come after the begin step " + beginStep);
        if (frequency < 1) throw new IllegalArgumentException("frequency must be >= 1 step, got " + frequency);
    }

    /** The target sparsity at step t. */
    public double sparsityAt(long t) {
        double p = Math.min(1.0, Math.max(0.0, (double) (t - beginStep) / (endStep - beginStep)));
        double r = 1 - p;
        return finalSparsity + (initialSparsity - finalSparsity) * r * r * r;
    }

    /** Whether the mask is updated at step t. */
    public boolean updatesAt(long t) {
        return t >= beginStep && t <= endStep && (t - beginStep) % frequency == 0;
    }
}
