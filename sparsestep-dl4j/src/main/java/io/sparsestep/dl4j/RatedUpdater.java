package io.sparsestep.dl4j;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.learning.GradientUpdater;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.schedule.ISchedule;

import java.util.Map;
import java.util.Objects;

/**
 * What sparsestep's DL4J updater configurations share: a fixed learning rate or a DL4J
 * schedule (by iteration or epoch) in its place, as DL4J's own {@code Sgd} keeps them, and the
 * creation of the gradient updater on the block's state view (settings checked first).
 * DL4J's Jackson serialises the fields of the whole class chain.
 */
abstract sealed class RatedUpdater implements IUpdater permits GrdaUpdater, FusedSgdUpdater {
    private static final long serialVersionUID = 1L;

    private double learningRate;
    private ISchedule learningRateSchedule;

    RatedUpdater(double learningRate, ISchedule learningRateSchedule) {
        this.learningRate = learningRate;
        this.learningRateSchedule = learningRateSchedule;
    }

    /** Refuses settings outside the core's ranges (a HyperparameterException naming the setting). */
    abstract void check();

    /** A gradient updater for one block of this configuration, its state view not yet set. */
    abstract ViewStateUpdater<?> newGradientUpdater();

    /** The fixed learning rate to check, or a stand-in 1 where a schedule replaces it (a schedule's rate is checked at each step). */
    double rateToCheck() { return learningRateSchedule == null ? learningRate : 1; }

    double learningRate() { return learningRate; }

    ISchedule scheduleCopy() { return learningRateSchedule == null ? null : learningRateSchedule.clone(); }

    @Override
    public final GradientUpdater instantiate(INDArray viewArray, boolean initializeViewArray) {
        check();
        ViewStateUpdater<?> u = newGradientUpdater();
        u.setStateViewArray(viewArray, viewArray == null ? null : viewArray.shape(), 'c', initializeViewArray);
        return u;
    }

    /** SameDiff's map of state arrays: not supported (gRDA needs the weights, which only a DL4J network's views give). */
    @Override
    public final GradientUpdater instantiate(Map<String, INDArray> updaterState, boolean initializeStateArrays) {
        throw ViewStateUpdater.sameDiffRefused(getClass().getSimpleName());
    }

    @Override
    public final double getLearningRate(int iteration, int epoch) {
        return learningRateSchedule != null ? learningRateSchedule.valueAt(iteration, epoch) : learningRate;
    }

    @Override
    public final boolean hasLearningRate() { return true; }

    @Override
    public final void setLrAndSchedule(double lr, ISchedule lrSchedule) {
        this.learningRate = lr;
        this.learningRateSchedule = lrSchedule;
    }

    @Override
    public abstract RatedUpdater clone();

    // DL4J merges neighbouring variables with equal updaters into one block (one state, one step): equality is by value
    boolean sameRate(RatedUpdater o) {
        return Double.compare(learningRate, o.learningRate) == 0 && Objects.equals(learningRateSchedule, o.learningRateSchedule);
    }

    int rateHash() { return Objects.hash(learningRate, learningRateSchedule); }

    String rateText() { return "lr=" + (learningRateSchedule != null ? learningRateSchedule : learningRate); }

    /** The rate settings of both builders. */
    abstract static class Builder<B extends Builder<B>> {
        double learningRate = 0.01;
        ISchedule learningRateSchedule;

        Builder() {}

        abstract B self();

        /** A fixed learning rate, finite and > 0 (default 0.01). */
        public B learningRate(double learningRate) {
            this.learningRate = learningRate;
            return self();
        }

        /** A DL4J schedule (by iteration or epoch) instead of the fixed rate. */
        public B learningRateSchedule(ISchedule learningRateSchedule) {
            this.learningRateSchedule = learningRateSchedule;
            return self();
        }
    }
}
