package io.sparsestep.optim;

import io.sparsestep.backend.Backend;
import io.sparsestep.backend.SelectOps.Score;
import io.sparsestep.backend.SelectOps.Ties;
import io.sparsestep.backend.Tensor;
import io.sparsestep.params.Mask;
import io.sparsestep.params.ParamBuffer;
import io.sparsestep.params.ParamGroup;
import io.sparsestep.params.ParamSpace;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Gradual magnitude pruning's optimizer ({@link GmpSpec}). Before the weight update of a
 * step t the schedule names, the mask is recomputed for {@code s_t}; the update is
 * {@code StepOps.maskedSgd} (pruned weights: no gradient, held at +0.0).
 *
 * <p>Exact threshold (TF-MOT), per tensor or over all: {@code k = max(round_half_even(n*(1-s_t)), 1)},
 * the k-th largest |w| by radix select, keep {@code |w| >=} it (ties kept, so k or more;
 * the scores are the current, already masked weights, so a pruned weight re-enters only if
 * the threshold falls to 0). Histogram threshold (the original tf.contrib code), per tensor:
 * the stored weights are kept unmasked in a second buffer (the forward pass sees
 * {@code mask * w}); at an update, a 255-bin histogram of their |w| over [0, max|w|]
 * (computed on the host from one download of the tensor), {@code th_new = (bins whose CDF <
 * s_t) / 255 * max}, smoothed {@code th = 0.1*th_new + 0.9*th_old} (in double, from 0),
 * keep {@code |w| > th}.
 */
public final class Gmp implements Optimizer {
    static final int BINS = 255;
    static final double DECAY = 0.9;

    private final Backend be;
    private final ParamSpace space;
    private final GmpSpec spec;
    private final ZhuGuptaSchedule schedule;
    private final MaskedMomentum sgd;
    private final PrunableTensors prunable;
    /** The unmasked weights (histogram threshold only), and each tensor's smoothed threshold. */
    private final ParamBuffer unmasked;
    private final double[] thresholds;
    private long step;
    private double lastSparsity;

    Gmp(ParamSpace space, GmpSpec spec, ZhuGuptaSchedule schedule) {
        this.be = space.backend();
        this.space = space;
        this.spec = spec;
        this.schedule = schedule;
        this.sgd = new MaskedMomentum(space, spec.sgd(), "gmp");
        this.prunable = sgd.prunable();
        try {
            this.unmasked = spec.histogram() ? space.allocateLike("gmp.unmasked") : null;
        } catch (RuntimeException e) {
            sgd.close();
            throw e;
        }
        if (unmasked != null) unmasked.copyFrom(space.values());
        this.thresholds = new double[prunable.layers().size()];
    }

    public ZhuGuptaSchedule schedule() { return schedule; }

    /** Steps taken. */
    public long steps() { return step; }

    /**
     * Weights the exact threshold keeps of {@code n} at sparsity {@code s}: TF-MOT's
     * {@code max(round_half_even(n * (1 - s)), 1)} (the product in double, rounded half to
     * even, at least one). The one formula of GMP's kept count (the core's and the DJL adapter's).
     */
    public static long keptCount(long n, double s) { return Math.max(MaskPruning.roundHalfEven(n * (1 - s)), 1); }

    @Override
    public void step(double lrFactor) {
        if (schedule.updatesAt(step)) updateMask(schedule.sparsityAt(step));
        if (unmasked == null) {
            sgd.step(lrFactor);
        } else {
            // the stored weights train unmasked but get no gradient where pruned; the forward pass sees mask * w
            MomentumSettings s = spec.sgd();
            float lr = (float) (s.lr() * lrFactor);
            be.steps().maskedSgd(unmasked.group(ParamGroup.WEIGHTS), space.grads().group(ParamGroup.WEIGHTS), sgd.momentum(ParamGroup.WEIGHTS),
                    sgd.mask().all(), lr, (float) s.momentum(), 0f, (float) s.weightDecay(), s.nesterov(), sgd.firstStep(), false);
            sgd.biasStep(lr);
            sgd.stepped();
            showMasked();
        }
        step++;
    }

    /** The mask for sparsity {@code s}, and the pruned weights zeroed. */
    void updateMask(double s) {
        lastSparsity = s;
        if (unmasked == null) {
            for (PrunableTensors.Layer layer : prunable.scoped(spec.scope())) {
                long k = keptCount(layer.size(), s);
                be.selects().kthLargest(Score.MAGNITUDE, layer.w(), null, null, k, prunable.scratch());
                be.selects().keepTop(Score.MAGNITUDE, layer.w(), null, null, Ties.KEEP_ALL, prunable.scratch(), layer.mask());
            }
            sgd.zeroPruned(space);
            return;
        }
        List<PrunableTensors.Layer> layers = prunable.layers();
        for (int i = 0; i < layers.size(); i++) {
            PrunableTensors.Layer layer = layers.get(i);
            Tensor stored = unmasked.of(layer.entry()).reshape(Math.toIntExact(layer.size()));
            thresholds[i] = (1 - DECAY) * histogramThreshold(stored, s) + DECAY * thresholds[i];
            be.masks().fromMagnitude(stored, (float) thresholds[i], layer.mask());
        }
        showMasked();
    }

    /** The original's threshold: 255 bins over [0, max|w|], the share of bins whose CDF is below s, times max. */
    double histogramThreshold(Tensor stored, double s) {
        int n = Math.toIntExact(stored.size());
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment host = arena.allocate(4L * n, 64);
            be.download(stored, host);
            float max = 0;
            for (int i = 0; i < n; i++) max = Math.max(max, Math.abs(host.getAtIndex(ValueLayout.JAVA_FLOAT, i)));
            if (max == 0) return 0;
            long[] hist = new long[BINS];
            for (int i = 0; i < n; i++) {
                float a = Math.abs(host.getAtIndex(ValueLayout.JAVA_FLOAT, i));
                // tf.histogram_fixed_width: floor(nbins * v / max), the top value in the last bin
                int b = (int) Math.floor(BINS * (double) a / max);
                hist[Math.min(BINS - 1, Math.max(0, b))]++;
            }
            long cumulative = 0, below = 0;
            for (long h : hist) {
                cumulative += h;
                if ((double) cumulative / n < s) below++;
            }
            return (double) below / BINS * max;
        }
    }

    /** The forward weights: the stored ones, masked. */
    private void showMasked() {
        be.copy(unmasked.group(ParamGroup.WEIGHTS), space.values().group(ParamGroup.WEIGHTS));
        sgd.zeroPruned(space);
    }

    @Override
    public Optional<Mask> pruningMask() { return Optional.of(sgd.mask()); }

    @Override
    public String name() { return "gmp"; }

    @Override
    public long stateBytes() {
        return sgd.stateBytes() + (unmasked == null ? 0 : 4 * unmasked.buffer().words());
    }

    @Override
    public OptimizerState state() {
        Map<String, Double> scalars = new LinkedHashMap<>();
        sgd.putScalars(scalars);
        scalars.put("step", (double) step);
        scalars.put("sparsity_target", lastSparsity);
        for (int i = 0; i < thresholds.length; i++) scalars.put("threshold." + prunable.layers().get(i).entry().name(), thresholds[i]);
        Map<String, ParamBuffer> buffers = new LinkedHashMap<>(sgd.buffers());
        if (unmasked != null) buffers.put("unmasked", unmasked);
        return new OptimizerState(buffers, sgd.masks(), scalars);
    }

    @Override
    public void restoreScalars(Map<String, Double> scalars) {
        double s = StateScalars.require(scalars, "step", "GMP");
        if (s < 0 || s != Math.rint(s)) throw new IllegalArgumentException("GMP state: step must be a whole number >= 0, got " + s);
        double[] restored = new double[thresholds.length];
        for (int i = 0; i < restored.length; i++) {
            restored[i] = StateScalars.require(scalars, "threshold." + prunable.layers().get(i).entry().name(), "GMP");
        }
        double target = StateScalars.require(scalars, "sparsity_target", "GMP");
        sgd.restoreScalars(scalars, "GMP");
        step = (long) s;
        lastSparsity = target;
        System.arraycopy(restored, 0, thresholds, 0, restored.length);
    }

    @Override
    public Map<String, Object> hyperparameters() {
        Map<String, Object> out = sgd.hyperparameters();
        out.put("gmp", Map.of("initial_sparsity", schedule.initialSparsity(), "final_sparsity", schedule.finalSparsity(),
                "begin_step", schedule.beginStep(), "end_step", schedule.endStep(), "frequency", schedule.frequency(),
                "scope", spec.scope().option(), "threshold", spec.histogram() ? "histogram (255 bins, decay 0.9, keep >)" : "exact (k-th largest, ties kept)",
                "k_rounding", "half to even, at least 1"));
        return out;
    }

    @Override
    public void close() {
        sgd.close();
        if (unmasked != null) unmasked.close();
    }
}
