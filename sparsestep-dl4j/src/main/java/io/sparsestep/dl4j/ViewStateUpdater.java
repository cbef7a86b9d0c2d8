package io.sparsestep.dl4j;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.learning.GradientUpdater;
import org.nd4j.linalg.learning.config.IUpdater;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What the sparsestep gradient updaters share: the state view DL4J hands them (float32, set
 * to zeros when DL4J asks for initialisation, so its header reads "not stepped yet"), the
 * learning rate of a step (checked: finite and > 0), and counts of the steps that ran on
 * ND4J's own memory and of those that went through a copy. The host slots and segment
 * slices a step uses are made here and counted ({@link #made()}): kept from step to step and
 * remade only when the memory under them moves, so a steady step makes none.
 */
abstract class ViewStateUpdater<T extends IUpdater> implements GradientUpdater<T> {
    private final T config;
    private INDArray state;
    private final AtomicLong inPlaceSteps = new AtomicLong();
    private final AtomicLong copiedSteps = new AtomicLong();
    private final List<HostFloats> slots = new ArrayList<>();
    private long slices;

    /** What an updater has made so far: host slots, segment slices, and how often a slot's memory moved. */
    record Made(long slots, long slices, long moves) {
        Made plus(Made o) { return new Made(slots + o.slots, slices + o.slices, moves + o.moves); }
    }

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

    /** A new host slot, counted. */
    synchronized HostFloats slot() {
        HostFloats slot = new HostFloats();
        slots.add(slot);
        return slot;
    }

    /** Floats [start, start + length) of {@code floats} as a segment of their own, counted. */
    synchronized MemorySegment slice(MemorySegment floats, long start, long length) {
        slices++;
        return floats.asSlice(start * Float.BYTES, length * Float.BYTES);
    }

    synchronized Made made() {
        long moves = 0;
        for (HostFloats h : slots) moves += h.moves();
        return new Made(slots.size(), slices, moves);
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
