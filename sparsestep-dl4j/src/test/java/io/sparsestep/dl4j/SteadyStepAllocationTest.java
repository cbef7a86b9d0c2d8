package io.sparsestep.dl4j;

import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.learning.config.IUpdater;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A steady step inside DL4J's fit makes no host slot and no segment slice (and no arena: the
 * updaters make none at all), counted through the updaters' own {@link ViewStateUpdater#made()}:
 * after two warm-up steps (the first cuts each variable's slices), five more leave the counts
 * as they were, for gRDA (one block of weights and biases, four variables) and for SGD with
 * momentum; DL4J keeps its flat views in place, so no slot's memory moves either.
 */
class SteadyStepAllocationTest {
    private static final int BATCH = 32;

    @Test
    void grdaMakesNothingOnceSteady() {
        steady(GrdaUpdater.builder().learningRate(0.1).c(0.01).mu(0.6).build());
    }

    @Test
    void sgdWithMomentumMakesNothingOnceSteady() {
        steady(FusedSgdUpdater.builder().learningRate(0.05).momentum(0.9).build());
    }

    private static void steady(IUpdater updater) {
        MultiLayerNetwork net = Mlps.net(updater, 37);
        Attachment attachment = SparsestepUpdaters.attach(net);
        net.fit(Digits.of(4, 2 * BATCH, BATCH).trainBatches(BATCH), 1);
        ViewStateUpdater.Made warm = attachment.made();
        long steps = attachment.inPlaceSteps();
        net.fit(Digits.of(5, 5 * BATCH, BATCH).trainBatches(BATCH), 1);
        assertEquals(warm, attachment.made(), "steady steps make no slot or slice, and no memory moved");
        assertEquals(steps + 5, attachment.inPlaceSteps(), "the five steps ran, on ND4J's own memory");
        assertTrue(warm.slots() >= 2 && warm.slices() >= 1, "the warm-up made the slots and slices: " + warm);
    }
}
