package io.sparsestep.dl4j;

import io.sparsestep.optim.Grda;
import org.nd4j.linalg.schedule.ISchedule;

import java.util.Objects;

/**
 * gRDA (Chao et al., NeurIPS 2020; ALGORITHMS.md 1.1) as a DL4J updater, for
 * {@code NeuralNetConfiguration.Builder().updater(...)}: the accumulator starts at the
 * weights of the first step, each step {@code acc -= lr*g}, the threshold grows by
 * {@code c * lr^(0.5+mu) * (n^mu - (n-1)^mu)} with that step's lr (in double, as
 * sparsestep's own gRDA), and the weights become {@code S_tau(acc)}, bit for bit, pruned ones
 * +0.0. Weights are thresholded; biases and norm parameters are not (tau 0: exactly SGD
 * without momentum) unless {@link Builder#thresholdBiases(boolean)} asks for it, as the
 * authors' scripts do (they pass every parameter).
 *
 * <p>DL4J's updaters see only the gradient and the network subtracts what they leave there,
 * so the step is the core's {@code CpuFusedSteps.grdaUpdate}, which needs the weights: call
 * {@link SparsestepUpdaters#attach} once the network is built (and again after restoring
 * one). The state (step count, tau, accumulator) lives in the state view DL4J gives the
 * updater, so {@code ModelSerializer} saves and restores it and the run continues bit for bit.
 *
 * <p>Serialised with the network's JSON (DL4J's Jackson, by field): learning rate or
 * schedule, c, mu, thresholdBiases.
 */
public final class GrdaUpdater extends RatedUpdater {
    private static final long serialVersionUID = 1L;

    private double c;
    private double mu;
    private boolean thresholdBiases;

    /** The defaults of sparsestep's own gRDA ({@code Grda.builder()}): lr 0.01, c 0.0005, mu 0.6; biases not thresholded. */
    public GrdaUpdater() {
        this(0.01, null, 0.0005, 0.6, false);
    }

    private GrdaUpdater(double learningRate, ISchedule learningRateSchedule, double c, double mu, boolean thresholdBiases) {
        super(learningRate, learningRateSchedule);
        this.c = c;
        this.mu = mu;
        this.thresholdBiases = thresholdBiases;
    }

    public static Builder builder() { return new Builder(); }

    @Override
    void check() {
        new Grda.Settings(rateToCheck(), c, mu); // the core's rules and messages
    }

    @Override
    ViewStateUpdater<?> newGradientUpdater() { return new GrdaGradientUpdater(this); }

    /** Floats of state per variable: its accumulator, and a header (step count, tau) that a block of several variables holds once. */
    @Override
    public long stateSize(long numParams) {
        return numParams + StateHeader.FLOATS;
    }

    @Override
    public GrdaUpdater clone() {
        return new GrdaUpdater(learningRate(), scheduleCopy(), c, mu, thresholdBiases);
    }

    public double getC() { return c; }

    public double getMu() { return mu; }

    public boolean isThresholdBiases() { return thresholdBiases; }

    @Override
    public boolean equals(Object o) {
        return o instanceof GrdaUpdater u && sameRate(u) && Double.compare(c, u.c) == 0 && Double.compare(mu, u.mu) == 0
                && thresholdBiases == u.thresholdBiases;
    }

    @Override
    public int hashCode() { return Objects.hash(rateHash(), c, mu, thresholdBiases); }

    @Override
    public String toString() {
        return "GrdaUpdater(" + rateText() + ", c=" + c + ", mu=" + mu + ", thresholdBiases=" + thresholdBiases + ")";
    }

    /** The settings, each with the default of {@link GrdaUpdater#GrdaUpdater()}. */
    public static final class Builder extends RatedUpdater.Builder<Builder> {
        private double c = 0.0005;
        private double mu = 0.6;
        private boolean thresholdBiases;

        Builder() {}

        @Override
        Builder self() { return this; }

        /** Threshold scale, finite and >= 0 (0: exactly SGD without momentum). */
        public Builder c(double c) {
            this.c = c;
            return this;
        }

        /** Threshold exponent in (0, 1) (the theory assumes mu > 0.5; the authors also ran 0.4). */
        public Builder mu(double mu) {
            this.mu = mu;
            return this;
        }

        /** Whether biases and norm parameters are thresholded with the weights' tau too (default false: they take plain SGD). */
        public Builder thresholdBiases(boolean thresholdBiases) {
            this.thresholdBiases = thresholdBiases;
            return this;
        }

        /** The updater; refuses settings outside their ranges. */
        public GrdaUpdater build() {
            GrdaUpdater u = new GrdaUpdater(learningRate, learningRateSchedule, c, mu, thresholdBiases);
            u.check();
            return u;
        }
    }
}
