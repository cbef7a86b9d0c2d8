package io.sparsestep.dl4j;

import io.sparsestep.backend.cpu.CpuFusedSteps;
import io.sparsestep.optim.Grda;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * The gRDA step of one DL4J updater block (one or more neighbouring variables with equal
 * {@link GrdaUpdater} settings, e.g. every W and b of an MLP). State view: the
 * {@link StateHeader} (step count, tau), then the accumulator, as long as the block's
 * gradient. A step: if the header says 0 steps the accumulator is set to the weights (so a
 * state restored by {@code ModelSerializer} is never overwritten); tau grows by this step's
 * increment; each variable takes {@code CpuFusedSteps.grdaUpdate} on the network's own
 * memory, weights at tau, biases and norm parameters at 0 unless thresholded too; DL4J's
 * subtraction of the update then leaves {@code S_tau(acc)} in the weights, bit for bit.
 * Everything is checked before anything is written, so a refused step changes nothing. The
 * host slots of the state, the gradient and each variable, and the variables' slices of the
 * state and the gradient, are kept from step to step (remade when the memory moves).
 */
final class GrdaGradientUpdater extends ViewStateUpdater<GrdaUpdater> {
    /** The block's variables as {@link #attach} gave them, with a host slot for each one's parameter view. */
    private record Vars(List<ParamRange> ranges, HostFloats[] weights) {}

    private volatile Vars vars;
    private final HostFloats state = slot(), gradient = slot();
    /** The variables' slices of the state's accumulator and of the gradient, for the segments they were cut from. */
    private MemorySegment slicedState, slicedGradient;
    private MemorySegment[] accSlices, gradientSlices;

    GrdaGradientUpdater(GrdaUpdater config) {
        super(config);
    }

    /** Gives the step the block's variables (see {@link SparsestepUpdaters#attach}); they must tile the block. */
    synchronized void attach(List<ParamRange> blockRanges) {
        long next = 0;
        for (ParamRange r : blockRanges) {
            if (r.start() != next) throw new IllegalArgumentException("the block's variables do not tile it: " + r.name() + " starts at " + r.start() + ", not " + next);
            next += r.length();
        }
        HostFloats[] weights = new HostFloats[blockRanges.size()];
        for (int i = 0; i < weights.length; i++) weights[i] = slot();
        this.vars = new Vars(List.copyOf(blockRanges), weights);
        accSlices = null; // cut anew for these variables
    }

    /** The variables given by {@link #attach}, or null. */
    List<ParamRange> ranges() {
        Vars v = vars;
        return v == null ? null : v.ranges();
    }

    @Override
    public synchronized void applyUpdater(INDArray gradientView, int iteration, int epoch) {
        Vars v = vars;
        if (v == null) {
            throw new IllegalStateException("GrdaUpdater needs the network's weights, which DL4J does not give an updater:"
                    + " call SparsestepUpdaters.attach(net) after net.init() (and after restoring a network with ModelSerializer)");
        }
        List<ParamRange> ranges = v.ranges();
        long n = gradientView.length();
        ParamRange last = ranges.getLast();
        if (last.start() + last.length() != n) {
            throw new IllegalStateException("the block's gradient holds " + n + " floats, its variables " + (last.start() + last.length())
                    + " (" + ranges.getFirst().name() + " .. " + last.name() + "); attach the network this updater belongs to");
        }
        INDArray stateView = requireState(StateHeader.FLOATS + n, "gRDA");
        GrdaUpdater config = getConfig();
        double lr = learningRate(iteration, epoch);
        MemorySegment s = state.load(stateView).segment(), g = gradient.load(gradientView).segment();
        long steps = StateHeader.readSteps(s);
        double tau = StateHeader.readTau(s);
        StateHeader.check(steps, tau);
        double nextTau = tau + Grda.tauIncrement(config.getC(), config.getMu(), lr, steps + 1);
        StateHeader.check(steps + 1, nextTau);
        for (int i = 0; i < ranges.size(); i++) v.weights()[i].load(ranges.get(i).view());
        slice(ranges, s, g);
        boolean inPlace = state.inPlace() && gradient.inPlace();
        for (int i = 0; i < ranges.size(); i++) {
            ParamRange r = ranges.get(i);
            HostFloats w = v.weights()[i];
            if (steps == 0) MemorySegment.copy(w.segment(), 0, accSlices[i], 0, r.length() * Float.BYTES);
            float t = r.prunable() || config.isThresholdBiases() ? (float) nextTau : 0f;
            CpuFusedSteps.grdaUpdate(w.segment(), gradientSlices[i], accSlices[i], r.length(), (float) lr, t);
            w.writeBack();
            inPlace &= w.inPlace();
        }
        StateHeader.write(s, steps + 1, nextTau);
        gradient.writeBack();
        state.writeBack();
        counted(inPlace);
    }

    /** Cuts each variable's slices of the state's accumulator and of the gradient, when these are new segments. */
    private void slice(List<ParamRange> ranges, MemorySegment s, MemorySegment g) {
        if (accSlices == null || accSlices.length != ranges.size()) {
            accSlices = new MemorySegment[ranges.size()];
            gradientSlices = new MemorySegment[ranges.size()];
            slicedState = null;
            slicedGradient = null;
        }
        if (s != slicedState) {
            for (int i = 0; i < ranges.size(); i++) accSlices[i] = slice(s, StateHeader.FLOATS + ranges.get(i).start(), ranges.get(i).length());
            slicedState = s;
        }
        if (g != slicedGradient) {
            for (int i = 0; i < ranges.size(); i++) gradientSlices[i] = slice(g, ranges.get(i).start(), ranges.get(i).length());
            slicedGradient = g;
        }
    }
}
