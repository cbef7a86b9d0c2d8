package io.sparsestep.dl4j;

import io.sparsestep.backend.cpu.ExactZeros;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What {@link SparsestepUpdaters#attach} found in a network: every variable of its updater
 * blocks (in the network's order), how many blocks run gRDA, and the sparsestep gradient
 * updaters, whose step counts tell which memory path ran. Sparsity is read from the network
 * as it is now, so it is current after any number of {@code fit} calls.
 */
public final class Attachment {
    private final List<ParamRange> params;
    private final int grdaBlocks;
    private final List<ViewStateUpdater<?>> updaters;

    Attachment(List<ParamRange> params, int grdaBlocks, List<ViewStateUpdater<?>> updaters) {
        this.params = List.copyOf(params);
        this.grdaBlocks = grdaBlocks;
        this.updaters = List.copyOf(updaters);
    }

    /** Updater blocks given the weights for gRDA (neighbouring variables with equal settings share one). */
    public int grdaBlocks() { return grdaBlocks; }

    /**
     * The share of exact zeros (+0.0 or -0.0; gRDA writes +0.0) of each prunable weight, by its
     * {@code paramTable()} key (e.g. {@code 0_W}), in the network's order. Biases and norm
     * parameters are not listed.
     */
    public Map<String, Double> sparsity() {
        Map<String, Double> out = new LinkedHashMap<>();
        for (ParamRange p : params) {
            if (p.prunable()) out.put(p.name(), zeros(p).share());
        }
        return out;
    }

    /** The share of exact zeros over all prunable weights together (no biases or norm parameters). */
    public double overallSparsity() {
        ExactZeros all = ExactZeros.NONE;
        for (ParamRange p : params) if (p.prunable()) all = all.plus(zeros(p));
        return all.share();
    }

    /** The names of the prunable weights, in the network's order. */
    public List<String> prunable() {
        return params.stream().filter(ParamRange::prunable).map(ParamRange::name).toList();
    }

    /** The names of the variables that are no prunable weights (biases, norm parameters, batch norm's running statistics). */
    public List<String> notPruned() {
        return params.stream().filter(p -> !p.prunable()).map(ParamRange::name).toList();
    }

    /** Steps of this network's sparsestep updaters that ran on ND4J's own memory. */
    public long inPlaceSteps() { return updaters.stream().mapToLong(ViewStateUpdater::inPlaceSteps).sum(); }

    /** Steps that went through a copy (an array that is not one-dimensional and contiguous in host memory). */
    public long copiedSteps() { return updaters.stream().mapToLong(ViewStateUpdater::copiedSteps).sum(); }

    /** What the network's sparsestep updaters have made so far (for the tests that steady steps make nothing). */
    ViewStateUpdater.Made made() {
        ViewStateUpdater.Made all = new ViewStateUpdater.Made(0, 0, 0);
        for (ViewStateUpdater<?> u : updaters) all = all.plus(u.made());
        return all;
    }

    private static ExactZeros zeros(ParamRange p) {
        return ExactZeros.of(p.view().dup('c').data().asFloat());
    }
}
