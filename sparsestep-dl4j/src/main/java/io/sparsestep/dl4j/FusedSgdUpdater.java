package io.sparsestep.dl4j;

import io.sparsestep.optim.Sgd;
import org.nd4j.linalg.schedule.ISchedule;

import java.util.Objects;

/**
 * SGD with PyTorch's semantics (torch.optim.SGD, as sparsestep's {@code --method sgd})
 * as a DL4J updater, running the core's fused {@code CpuFusedSteps.sgdUpdate}: the update
 * {@code lr*d} is written over the gradient, with {@code d = g} or, with momentum,
 * {@code buf = first ? g : momentum*buf + (1-dampening)*g}, {@code d = nesterov ? g +
 * momentum*buf : buf}; DL4J subtracts it. Without momentum it is DL4J's own {@code Sgd} bit
 * for bit. No weight decay of its own (it needs the weights): DL4J's {@code .l2(x)} adds
 * {@code x*w} to the gradient before the updater, PyTorch's coupled decay. Needs no
 * {@link SparsestepUpdaters#attach}. The momentum buffer and the step count live in the
 * state view, so {@code ModelSerializer} saves and restores them.
 */
public final class FusedSgdUpdater extends RatedUpdater {
    private static final long serialVersionUID = 1L;

    private double momentum;
    private double dampening;
    private boolean nesterov;

    /** lr 0.01, no momentum. */
    public FusedSgdUpdater() {
        this(0.01, null, 0, 0, false);
    }

    private FusedSgdUpdater(double learningRate, ISchedule learningRateSchedule, double momentum, double dampening, boolean nesterov) {
        super(learningRate, learningRateSchedule);
        this.momentum = momentum;
        this.dampening = dampening;
        this.nesterov = nesterov;
    }

    public static Builder builder() { return new Builder(); }

    @Override
    void check() {
        new Sgd.Settings(rateToCheck(), momentum, dampening, 0, nesterov); // the core's rules and messages
    }

    @Override
    ViewStateUpdater<?> newGradientUpdater() { return new FusedSgdGradientUpdater(this); }

    /** Without momentum no state; with it the buffer and a header (the step count) that a block holds once. */
    @Override
    public long stateSize(long numParams) {
        return momentum == 0 ? 0 : numParams + StateHeader.FLOATS;
    }

    @Override
    public FusedSgdUpdater clone() {
        return new FusedSgdUpdater(learningRate(), scheduleCopy(), momentum, dampening, nesterov);
    }

    public double getMomentum() { return momentum; }

    public double getDampening() { return dampening; }

    public boolean isNesterov() { return nesterov; }

    @Override
    public boolean equals(Object o) {
        return o instanceof FusedSgdUpdater u && sameRate(u) && Double.compare(momentum, u.momentum) == 0
                && Double.compare(dampening, u.dampening) == 0 && nesterov == u.nesterov;
    }

    @Override
    public int hashCode() { return Objects.hash(rateHash(), momentum, dampening, nesterov); }

    @Override
    public String toString() {
        return "FusedSgdUpdater(" + rateText() + ", momentum=" + momentum + ", dampening=" + dampening + ", nesterov=" + nesterov + ")";
    }

    /** The settings, each with the default of {@link FusedSgdUpdater#FusedSgdUpdater()}. */
    public static final class Builder extends RatedUpdater.Builder<Builder> {
        private double momentum;
        private double dampening;
        private boolean nesterov;

        Builder() {}

        @Override
        Builder self() { return this; }

        /** Momentum in [0, 1) (default 0: no buffer, no state). */
        public Builder momentum(double momentum) {
            this.momentum = momentum;
            return this;
        }

        /** Dampening in [0, 1] (default 0). */
        public Builder dampening(double dampening) {
            this.dampening = dampening;
            return this;
        }

        /** Nesterov momentum (needs momentum > 0 and dampening 0; default off). */
        public Builder nesterov(boolean nesterov) {
            this.nesterov = nesterov;
            return this;
        }

        /** The updater; refuses settings outside their ranges. */
        public FusedSgdUpdater build() {
            FusedSgdUpdater u = new FusedSgdUpdater(learningRate, learningRateSchedule, momentum, dampening, nesterov);
            u.check();
            return u;
        }
    }
}
