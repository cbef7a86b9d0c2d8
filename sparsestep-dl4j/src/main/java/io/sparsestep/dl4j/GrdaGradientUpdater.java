package io.sparsestep.dl4j;

import io.sparsestep.backend.cpu.CpuFusedSteps;
import io.sparsestep.optim.Grda;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.lang.foreign.Arena;
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
 * Everything is checked before anything is written, so a refused step changes nothing.
 */
final class GrdaGradientUpdater extends ViewStateUpdater<GrdaUpdater> {
    private volatile List<ParamRange> ranges;

    GrdaGradientUpdater(GrdaUpdater config) {
        super(config);
    }

    /** Gives the step the block's variables (see {@link SparsestepUpdaters#attach}); they must tile the block. */
    void attach(List<ParamRange> blockRanges) {
        long next = 0;
        for (ParamRange r : blockRanges) {
            if (r.start() != next) throw new IllegalArgumentException("the block's variables do not tile it: " + r.name() + " starts at " + r.start() + ", not " + next);
            next += r.length();
        }
        this.ranges = List.copyOf(blockRanges);
    }

    /** The variables given by {@link #attach}, or null. */
    List<ParamRange> ranges() { return ranges; }

    @Override
    public void applyUpdater(INDArray gradient, int iteration, int epoch) {
        List<ParamRange> vars = ranges;
        if (vars == null) {
            throw new IllegalStateException("GrdaUpdater needs the network's weights, which DL4J does not give an updater:"
                    + " call SparsestepUpdaters.attach(net) after net.init() (and after restoring a network with ModelSerializer)");
        }
        long n = gradient.length();
        ParamRange last = vars.getLast();
        if (last.start() + last.length() != n) {
            throw new IllegalStateException("the block's gradient holds " + n + " floats, its variables " + (last.start() + last.length())
                    + " (" + vars.getFirst().name() + " .. " + last.name() + "); attach the network this updater belongs to");
        }
        INDArray stateView = requireState(StateHeader.FLOATS + n, "gRDA");
        GrdaUpdater config = getConfig();
        double lr = learningRate(iteration, epoch);
        try (Arena scratch = Arena.ofConfined()) {
            HostFloats state = HostFloats.of(stateView, scratch);
            HostFloats g = HostFloats.of(gradient, scratch);
            StateHeader header = StateHeader.read(state.segment());
            StateHeader next = new StateHeader(header.steps() + 1,
                    header.tau() + Grda.tauIncrement(config.getC(), config.getMu(), lr, header.steps() + 1));
            boolean inPlace = state.inPlace() && g.inPlace();
            for (ParamRange r : vars) {
                HostFloats w = HostFloats.of(r.view(), scratch);
                MemorySegment acc = slice(state.segment(), StateHeader.FLOATS + r.start(), r.length());
                if (header.steps() == 0) MemorySegment.copy(w.segment(), 0, acc, 0, r.length() * Float.BYTES);
                float tau = r.prunable() || config.isThresholdBiases() ? (float) next.tau() : 0f;
                CpuFusedSteps.grdaUpdate(w.segment(), slice(g.segment(), r.start(), r.length()), acc, r.length(), (float) lr, tau);
                w.writeBack();
                inPlace &= w.inPlace();
            }
            next.write(state.segment());
            g.writeBack();
            state.writeBack();
            counted(inPlace);
        }
    }

    private static MemorySegment slice(MemorySegment floats, long start, long length) {
        return floats.asSlice(start * Float.BYTES, length * Float.BYTES);
    }
}
