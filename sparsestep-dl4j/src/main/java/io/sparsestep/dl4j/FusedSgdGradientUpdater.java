package io.sparsestep.dl4j;

import io.sparsestep.backend.cpu.CpuFusedSteps;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * The fused SGD step of one DL4J updater block: {@code CpuFusedSteps.sgdUpdate} over the
 * block's gradient. With momentum the state view holds the {@link StateHeader} (its step
 * count says whether this is the first step, which copies the gradient into the buffer)
 * and then the buffer; without momentum there is no state.
 */
final class FusedSgdGradientUpdater extends ViewStateUpdater<FusedSgdUpdater> {

    FusedSgdGradientUpdater(FusedSgdUpdater config) {
        super(config);
    }

    @Override
    public void applyUpdater(INDArray gradient, int iteration, int epoch) {
        FusedSgdUpdater config = getConfig();
        long n = gradient.length();
        boolean momentum = config.getMomentum() != 0;
        INDArray stateView = momentum ? requireState(StateHeader.FLOATS + n, "SGD with momentum") : null;
        float lr = (float) learningRate(iteration, epoch);
        try (Arena scratch = Arena.ofConfined()) {
            HostFloats g = HostFloats.of(gradient, scratch);
            HostFloats state = momentum ? HostFloats.of(stateView, scratch) : null;
            StateHeader header = momentum ? StateHeader.read(state.segment()) : StateHeader.FRESH;
            MemorySegment buf = momentum ? state.segment().asSlice(StateHeader.FLOATS * (long) Float.BYTES, n * Float.BYTES) : null;
            CpuFusedSteps.sgdUpdate(g.segment(), buf, n, lr, (float) config.getMomentum(), (float) config.getDampening(),
                    config.isNesterov(), header.steps() == 0);
            g.writeBack();
            if (momentum) {
                new StateHeader(header.steps() + 1, 0).write(state.segment());
                state.writeBack();
            }
            counted(g.inPlace() && (!momentum || state.inPlace()));
        }
    }
}
