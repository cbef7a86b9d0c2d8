package io.sparsestep.dl4j;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.learning.GradientUpdater;
import org.nd4j.linalg.learning.config.IUpdater;

import java.util.Collections;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What the sparsestep gradient updaters share: the state view DL4J hands them (float32, set
 * to zeros when DL4J asks for initialisation, so its header reads "not stepped yet"), the
 * learning rate of a step (checked: finite and > 0), and counts of the steps that ran on
 * ND4J's own memory and of those that went through a copy.
 */
abstract class ViewStateUpdater<T extends IUpdater> implements GradientUpdater<T> {
    private final T config;
    private INDArray state;
    private final AtomicLong inPlaceSteps = new AtomicLong();
    private final AtomicLong copiedSteps = new AtomicLong();

    ViewStateUpdater(T config) {
        this.config = config;
    }

    @Override
    public T getConfig() { return config; }

    @Override
    public void setStateViewArray(INDArray viewArray, long[] gradientShape, char gradientOrder, boolean initialize) {
        if (viewArray != null && viewArray.dataType() != DataType.FLOAT) {
            throw new IllegalArgumentException("the updater state is " + viewArray.dataType()
                    + "; sparsestep's steps take float32: build the network with .dataType(DataType.FLOAT) (DL4J's default)");
        }
        if (viewArray != null && initialize) viewArray.assign(0);
        this.state = viewArray;
    }

    /** The state view, or null for a rule without state. */
    INDArray state() { return state; }

    /** The state view, which must hold at least {@code floats}. */
    INDArray requireState(long floats, String rule) {
        if (state == null || state.length() < floats) {
            throw new IllegalStateException(rule + " needs " + floats + " floats of updater state for this block, DL4J gave "
                    + (state == null ? "none" : state.length()) + "; was the updater configured by hand?");
        }
        return state;
    }

    @Override
    public Map<String, INDArray> getState() {
        return state == null ? Collections.emptyMap() : Map.of("state", state);
    }

    @Override
    public void setState(Map<String, INDArray> stateMap, boolean initialize) {
        throw sameDiffRefused(getClass().getSimpleName());
    }

    /** The configuration's learning rate at this iteration and epoch (the steps take it as float32). */
    double learningRate(int iteration, int epoch) {
        double lr = config.getLearningRate(iteration, epoch);
        if (!(lr > 0 && lr < Double.POSITIVE_INFINITY)) {
            throw new IllegalArgumentException(config + " gives learning rate " + lr + " at iteration " + iteration + ", epoch " + epoch
                    + "; it must be finite and > 0");
        }
        return lr;
    }

    /** Counts one step: in place when every array it touched was ND4J's own memory. */
    void counted(boolean inPlace) {
        (inPlace ? inPlaceSteps : copiedSteps).incrementAndGet();
    }

    long inPlaceSteps() { return inPlaceSteps.get(); }

    long copiedSteps() { return copiedSteps.get(); }

    static UnsupportedOperationException sameDiffRefused(String rule) {
        return new UnsupportedOperationException(rule + " runs on a DL4J network's flat views (MultiLayerNetwork or ComputationGraph);"
                + " SameDiff's map of updater state is not supported");
    }
}
