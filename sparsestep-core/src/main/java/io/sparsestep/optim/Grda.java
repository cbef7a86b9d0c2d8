package io.sparsestep.optim;

import io.sparsestep.backend.Backend;
import io.sparsestep.backend.Buffer;
import io.sparsestep.backend.Tensor;
import io.sparsestep.params.ParamBuffer;
import io.sparsestep.params.ParamGroup;
import io.sparsestep.params.ParamSpace;


import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * gRDA, generalized regularized dual averaging (Chao et al., NeurIPS 2020), as the
 * authors' code does it: the accumulator starts at the initial weights, each step
 * {@code acc -= lr*g}, the threshold grows by {@code c * lr^(0.5+mu) * (n^mu - (n-1)^mu)}
 * with the current lr, and the weights are written as {@code S_tau(acc)}. The threshold is
 * accumulated in double on the host (one scalar per group); the pass over the parameters
 * is one fused backend op per group. With {@code c = 0} it is exactly SGD without momentum.
 */
public final class Grda implements Optimizer {
    /**
     * One group's settings: base learning rate, threshold scale c and exponent mu. mu must
     * lie in (0, 1): the threshold, growing like n^mu, then grows without bound but slower
     * than n. The paper's theory assumes mu > 0.5 (faster than sqrt(n)); the authors' own
     * runs also used mu = 0.4 (ALGORITHMS.md 1.2), so that is accepted and documented.
     */
    public record Settings(double lr, double c, double mu) {
        public Settings {
            // written as !(ok) so that NaN fails every rule
            if (!(lr > 0 && lr < Double.POSITIVE_INFINITY)) throw new HyperparameterException("gRDA", "lr", "must be finite and > 0", lr);
            if (!(c >= 0 && c < Double.POSITIVE_INFINITY)) throw new HyperparameterException("gRDA", "c", "must be finite and >= 0", c);
            if (!(mu > 0 && mu < 1)) throw new HyperparameterException("gRDA", "mu", "must be in (0, 1) (the theory assumes mu > 0.5)", mu);
        }

        public Settings withLr(double v) { return new Settings(v, c, mu); }
        public Settings withC(double v) { return new Settings(lr, v, mu); }
        public Settings withMu(double v) { return new Settings(lr, c, v); }

        /** Every parameter group's settings, for summaries: {"weights": {"lr": .., "c": .., "mu": ..}, ...}. */
        static Map<String, Object> perGroup(Map<ParamGroup, Settings> settings) {
            Map<String, Object> out = new LinkedHashMap<>();
            for (ParamGroup pg : ParamGroup.values()) {
                Settings s = settings.get(pg);
                out.put(pg.id(), Map.of("lr", s.lr(), "c", s.c(), "mu", s.mu()));
            }
            return out;
        }
    }

    private final Backend be;
    private final Map<ParamGroup, Settings> settings;
    private final ParamBuffer acc;
    private final Buffer zeroCounter;
    private final Tensor counter;
    private final ParamGroup[] groups;
    private final Tensor[] w, g, a;
    private final GrdaSchedule schedule;

    private Grda(ParamSpace space, Map<ParamGroup, Settings> settings) {
        this.be = space.backend();
        this.settings = settings;
        this.acc = space.allocateLike("grda.acc");
        try {
            this.zeroCounter = be.allocate(1, "grda.zeros");
        } catch (RuntimeException e) {
            acc.close(); // a failed optimizer must not keep memory on a backend that others share
            throw e;
        }
        this.counter = new Tensor(zeroCounter, 0, 1);
        // the accumulator starts at the initial weights (not at zero)
        acc.copyFrom(space.values());
        this.groups = space.layout().nonEmptyGroups().toArray(ParamGroup[]::new);
        this.w = new Tensor[groups.length];
        this.g = new Tensor[groups.length];
        this.a = new Tensor[groups.length];
        for (int i = 0; i < groups.length; i++) {
            w[i] = space.values().group(groups[i]);
            g[i] = space.grads().group(groups[i]);
            a[i] = acc.group(groups[i]);
        }
        this.schedule = new GrdaSchedule("gRDA", space.layout().nonEmptyGroups());
    }

    public static Builder builder() { return new Builder(); }

    /** Threshold increment of step n (1-based) at learning rate lr: c * lr^(0.5+mu) * (n^mu - (n-1)^mu). */
    public static double tauIncrement(double c, double mu, double lr, long n) {
        return c * Math.pow(lr, 0.5 + mu) * (Math.pow(n, mu) - Math.pow(n - 1, mu));
    }

    @Override
    public void step(double lrFactor) {
        schedule.advance();
        be.elementwise().fill(counter, 0f);
        for (int i = 0; i < groups.length; i++) {
            Settings s = settings.get(groups[i]);
            double lr = s.lr() * lrFactor;
            double tau = schedule.grow(i, s, lr);
            // the fused zero count covers the prunable group, so sparsity costs no extra pass
            be.steps().grda(w[i], g[i], a[i], (float) lr, (float) tau, groups[i] == ParamGroup.WEIGHTS ? counter : null);
        }
    }

    /** Zeros written into the prunable weights by the last step (waits for the backend). */
    @Override
    public long lastStepZeros() { return be.readCounter(counter); }

    /** Current threshold of a group. */
    public double tau(ParamGroup group) { return schedule.tau(group); }

    public long steps() { return schedule.steps(); }

    @Override
    public OptimizerState state() { return new OptimizerState(Map.of("acc", acc), schedule.scalars()); }

    @Override
    public void restoreScalars(Map<String, Double> scalars) { schedule.restore(scalars); }

    @Override
    public String name() { return "grda"; }

    @Override
    public long stateBytes() { return 4 * acc.buffer().words(); }

    @Override
    public Map<String, Object> hyperparameters() { return Settings.perGroup(settings); }

    @Override
    public void close() {
        acc.close();
        zeroCounter.close();
    }

    /** Settings for all groups, then per-group overrides; {@link #build} allocates the accumulator. */
    public static final class Builder {
        private final GroupSettings<Settings> groups = new GroupSettings<>(new Settings(0.01, 0.0005, 0.6));

        public Builder lr(double lr) { groups.all(s -> s.withLr(lr)); return this; }
        public Builder c(double c) { groups.all(s -> s.withC(c)); return this; }
        public Builder mu(double mu) { groups.all(s -> s.withMu(mu)); return this; }

        /** Overrides for one group, e.g. {@code group(BIAS_AND_NORM, s -> s.withC(0))}. */
        public Builder group(ParamGroup g, UnaryOperator<Settings> change) { groups.group(g, change); return this; }

        public Grda build(ParamSpace space) { return new Grda(space, groups.snapshot()); }
    }
}
