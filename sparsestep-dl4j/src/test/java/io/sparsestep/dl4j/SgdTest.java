package io.sparsestep.dl4j;

import io.sparsestep.backend.cpu.CpuFusedSteps;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.learning.config.Sgd;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static io.sparsestep.dl4j.Flat.bits;
import static io.sparsestep.dl4j.Flat.floats;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The fused SGD updater inside DL4J's fit: without momentum it is DL4J's own {@code Sgd}
 * bit for bit; with momentum (and Nesterov) it is the core's {@code CpuFusedSteps.sgdStep}
 * on plain copies fed DL4J's gradients, bit for bit, the buffer included.
 */
class SgdTest {
    private static final int BATCH = 64, STEPS = 5;
    private static final double LR = 0.05;

    @Test
    void withoutMomentumItIsDl4jsOwnSgdBitForBit() {
        Digits data = Digits.of(6, STEPS * BATCH, BATCH);
        MultiLayerNetwork theirs = Mlps.net(new Sgd(LR), 37);
        MultiLayerNetwork ours = Mlps.net(FusedSgdUpdater.builder().learningRate(LR).build(), 37);
        theirs.fit(data.trainBatches(BATCH), 1);
        ours.fit(data.trainBatches(BATCH), 1);
        assertArrayEquals(bits(theirs.params()), bits(ours.params()));
        assertEquals(0, ours.getUpdater().getStateViewArray() == null ? 0 : ours.getUpdater().getStateViewArray().length(),
                "no momentum, no state");
    }

    @Test
    void withMomentumItIsTheCoreSgdStepOnACopyBitForBit() {
        for (boolean nesterov : new boolean[] {false, true}) {
            Digits data = Digits.of(7, STEPS * BATCH, BATCH);
            float momentum = 0.9f;
            MultiLayerNetwork net = Mlps.net(FusedSgdUpdater.builder().learningRate(LR).momentum(momentum).nesterov(nesterov).build(), 37);
            RecordedGradients recorded = new RecordedGradients();
            net.setListeners(recorded);
            float[] w0 = floats(net.params());
            net.fit(data.trainBatches(BATCH), 1);
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment w = Flat.copy(arena, w0), buf = arena.allocate((long) w0.length * Float.BYTES, 64);
                for (int k = 0; k < STEPS; k++) {
                    MemorySegment g = Flat.copy(arena, recorded.update(k, BATCH));
                    CpuFusedSteps.sgdStep(w, g, buf, w0.length, (float) LR, momentum, 0f, 0f, nesterov, k == 0);
                }
                assertArrayEquals(bits(w.toArray(ValueLayout.JAVA_FLOAT)), bits(net.params()), "weights, nesterov " + nesterov);
                assertArrayEquals(bits(buf.toArray(ValueLayout.JAVA_FLOAT)),
                        bits(Flat.stateAfterHeader(Flat.blocks(net).getFirst(), w0.length)), "momentum buffer, nesterov " + nesterov);
            }
        }
    }
}
