package io.sparsestep.optim;

import io.sparsestep.backend.Backend;
import io.sparsestep.backend.Buffer;
import io.sparsestep.backend.Tensor;
import io.sparsestep.nn.FlatMemory;
import io.sparsestep.nn.ParamGroup;

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
    private final Buffer momentumBuffer; // null when no group uses momentum
    private final ParamGroup[] groups;
    private final Tensor[] w, g, m;
    private boolean first = true;

    private Sgd(FlatMemory memory, Map<ParamGroup, Settings> settings) {
        this.be = memory.backend();
        this.settings = settings;
        boolean anyMomentum = settings.values().stream().anyMatch(s -> s.momentum() != 0);
        this.momentumBuffer = anyMomentum ? be.allocate(memory.params().words(), "sgd.momentum") : null;
        this.groups = memory.nonEmptyGroups().toArray(ParamGroup[]::new);
        this.w = new Tensor[groups.length];
        this.g = new Tensor[groups.length];
        this.m = new Tensor[groups.length];
        for (int i = 0; i < groups.length; i++) {
            w[i] = memory.groupView(memory.params(), groups[i]);
            g[i] = memory.groupView(memory.grads(), groups[i]);
            m[i] = settings.get(groups[i]).momentum() != 0 ? memory.groupView(momentumBuffer, groups[i]) : null;
        }
    }

    public static Builder builder() { return new Builder(); }

    @Override
    public void step(double lrFactor) {
        for (int i = 0; i < groups.length; i++) {
            Settings s = settings.get(groups[i]);
            be.sgdStep(w[i], g[i], m[i], (float) (s.lr() * lrFactor), (float) s.momentum(), (float) s.dampening(),
                    (float) s.weightDecay(), s.nesterov(), first);
        }
        first = false;
    }

    @Override
    public String name() { return "sgd"; }

    @Override
    public long stateBytes() { return momentumBuffer == null ? 0 : 4 * momentumBuffer.words(); }

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

        public Sgd build(FlatMemory memory) { return new Sgd(memory, groups.snapshot()); }
    }
}
