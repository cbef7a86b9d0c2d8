package io.sparsestep.optim;

import io.sparsestep.backend.Backend;
import io.sparsestep.backend.Tensor;
import io.sparsestep.params.ParamBuffer;
import io.sparsestep.params.ParamGroup;
import io.sparsestep.params.ParamSpace;


import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * SGD with momentum, dampening, Nesterov and weight decay, with PyTorch's semantics
 * (torch.optim.SGD): the momentum buffer is the first gradient on the first step, then
 * {@code m = momentum*m + (1-dampening)*g}. The momentum buffer exists only when some
 * group uses momentum. One fused backend pass per group.
 */
public final class Sgd implements Optimizer {
    public record Settings(double lr, double momentum, double dampening, double weightDecay, boolean nesterov) {
        public Settings {
            // written as !(ok) so that NaN fails every rule
            if (!(lr > 0 && lr < Double.POSITIVE_INFINITY)) throw new HyperparameterException("SGD", "lr", "must be finite and > 0", lr);
            if (!(momentum >= 0 && momentum < 1)) throw new HyperparameterException("SGD", "momentum", "must be in [0, 1)", momentum);
            // dampening scales the gradient by (1 - dampening): beyond 1 it would flip its sign
            if (!(dampening >= 0 && dampening <= 1)) throw new HyperparameterException("SGD", "dampening", "must be in [0, 1]", dampening);
            if (!(weightDecay >= 0 && weightDecay < Double.POSITIVE_INFINITY)) {
                throw new HyperparameterException("SGD", "weight decay", "must be finite and >= 0", weightDecay);
            }
            if (nesterov && (momentum <= 0 || dampening != 0)) {
                throw new HyperparameterException("SGD", "nesterov", "requires momentum > 0 and zero dampening (as in PyTorch)",
                        "momentum " + momentum + ", dampening " + dampening);
            }
        }

        public Settings withLr(double v) { return new Settings(v, momentum, dampening, weightDecay, nesterov); }
        public Settings withMomentum(double v) { return new Settings(lr, v, dampening, weightDecay, nesterov); }
        public Settings withDampening(double v) { return new Settings(lr, momentum, v, weightDecay, nesterov); }
        public Settings withWeightDecay(double v) { return new Settings(lr, momentum, dampening, v, nesterov); }
        public Settings withNesterov(boolean v) { return new Settings(lr, momentum, dampening, weightDecay, v); }
    }

    private final Backend be;
    private final Map<ParamGroup, Settings> settings;
    private final ParamBuffer momentumBuffer; // null when no group uses momentum
    private final ParamGroup[] groups;
    private final Tensor[] w, g, m;
    private boolean first = true;

    private Sgd(ParamSpace space, Map<ParamGroup, Settings> settings) {
        this.be = space.backend();
        this.settings = settings;
        boolean anyMomentum = settings.values().stream().anyMatch(s -> s.momentum() != 0);
        this.momentumBuffer = anyMomentum ? space.allocateLike("sgd.momentum") : null;
        this.groups = space.layout().nonEmptyGroups().toArray(ParamGroup[]::new);
        this.w = new Tensor[groups.length];
        this.g = new Tensor[groups.length];
        this.m = new Tensor[groups.length];
        for (int i = 0; i < groups.length; i++) {
            w[i] = space.values().group(groups[i]);
            g[i] = space.grads().group(groups[i]);
            m[i] = settings.get(groups[i]).momentum() != 0 ? momentumBuffer.group(groups[i]) : null;
        }
    }

    public static Builder builder() { return new Builder(); }

    @Override
    public void step(double lrFactor) {
        for (int i = 0; i < groups.length; i++) {
            Settings s = settings.get(groups[i]);
            be.steps().sgd(w[i], g[i], m[i], (float) (s.lr() * lrFactor), (float) s.momentum(), (float) s.dampening(),
                    (float) s.weightDecay(), s.nesterov(), first);
        }
        first = false;
    }

    @Override
    public OptimizerState state() {
        return new OptimizerState(momentumBuffer == null ? Map.of() : Map.of("momentum", momentumBuffer),
                Map.of("first_step", first ? 1.0 : 0.0));
    }

    @Override
    public void restoreScalars(Map<String, Double> scalars) {
        double f = StateScalars.require(scalars, "first_step", "SGD");
        if (f != 0 && f != 1) throw new IllegalArgumentException("SGD state: first_step must be 0 or 1, got " + f);
        first = f == 1;
    }

    @Override
    public String name() { return "sgd"; }

    @Override
    public long stateBytes() { return momentumBuffer == null ? 0 : 4 * momentumBuffer.buffer().words(); }

    @Override
    public Map<String, Object> hyperparameters() {
        Map<String, Object> out = new LinkedHashMap<>();
        for (ParamGroup pg : ParamGroup.values()) {
            Settings s = settings.get(pg);
            out.put(pg.id(), Map.of("lr", s.lr(), "momentum", s.momentum(), "dampening", s.dampening(),
                    "weight_decay", s.weightDecay(), "nesterov", s.nesterov()));
        }
        return out;
    }

    @Override
    public void close() {
        if (momentumBuffer != null) momentumBuffer.close();
    }

    public static final class Builder {
        private final GroupSettings<Settings> groups = new GroupSettings<>(new Settings(0.01, 0, 0, 0, false));

        public Builder lr(double v) { groups.all(s -> s.withLr(v)); return this; }
        public Builder momentum(double v) { groups.all(s -> s.withMomentum(v)); return this; }
        public Builder dampening(double v) { groups.all(s -> s.withDampening(v)); return this; }
        public Builder weightDecay(double v) { groups.all(s -> s.withWeightDecay(v)); return this; }
        public Builder nesterov(boolean v) { groups.all(s -> s.withNesterov(v)); return this; }
        public Builder group(ParamGroup g, UnaryOperator<Settings> change) { groups.group(g, change); return this; }

        public Sgd build(ParamSpace space) { return new Sgd(space, groups.snapshot()); }
    }
}
