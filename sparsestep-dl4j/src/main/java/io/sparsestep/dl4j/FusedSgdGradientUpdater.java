package io.sparsestep.dl4j;

import io.sparsestep.backend.cpu.CpuFusedSteps;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.lang.foreign.MemorySegment;

/**
 * The fused SGD step of one DL4J updater block: {@code CpuFusedSteps.sgdUpdate} over the
 * block's gradient. With momentum the state view holds the {@link StateHeader} (its step
 * count says whether this is the first step, which copies the gradient into the buffer)
 * and then the buffer; without momentum there is no state. The host slots of the gradient
 * and the state, and the buffer's slice of the state, are kept from step to step.
 */
final class FusedSgdGradientUpdater extends ViewStateUpdater<FusedSgdUpdater> {
    private final HostFloats gradient = slot(), state = slot();
    /** The momentum buffer's slice of the state, for the state segment it was cut from. */
    private MemorySegment slicedState, buffer;

    FusedSgdGradientUpdater(FusedSgdUpdater config) {
        super(config);
    }

    @Override
    public synchronized void applyUpdater(INDArray gradientView, int iteration, int epoch) {
        FusedSgdUpdater config = getConfig();
        long n = gradientView.length();
        boolean momentum = config.getMomentum() != 0;
        INDArray stateView = momentum ? requireState(StateHeader.FLOATS + n, "SGD with momentum") : null;
        float lr = (float) learningRate(iteration, epoch);
        MemorySegment g = gradient.load(gradientView).segment();
        MemorySegment s = momentum ? state.load(stateView).segment() : null;
        long steps = momentum ? StateHeader.readSteps(s) : 0;
        if (momentum) {
            StateHeader.check(steps, StateHeader.readTau(s));
            if (s != slicedState) {
                buffer = slice(s, StateHeader.FLOATS, n);
                slicedState = s;
            }
        }
        CpuFusedSteps.sgdUpdate(g, momentum ? buffer : null, n, lr, (float) config.getMomentum(), (float) config.getDampening(),
                config.isNesterov(), steps == 0);
        gradient.writeBack();
        if (momentum) {
            StateHeader.write(s, steps + 1, 0);
            state.writeBack();
        }
        counted(gradient.inPlace() && (!momentum || state.inPlace()));
    }
}
