package io.sparsestep.dl4j;

import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.dataset.DataSet;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.List;

import static io.sparsestep.dl4j.Flat.bits;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Saved with DL4J's {@code ModelSerializer} mid-training (updater state included), restored
 * into a new network, attached and trained on: the parameters and the updater state equal a
 * run that never stopped, bit for bit. DL4J restores the state into an updater it has
 * already initialised, so this also shows the state view alone carries the step count, tau
 * and accumulator (the restored run does not start its accumulator again from the weights).
 */
class ModelSerializerResumeTest {
    private static final int BATCH = 64, BATCHES = 10, SAVED_AT = 4;

    @Test
    void grdaSavedAndRestoredMidTrainingContinuesBitForBit() throws IOException {
        checkResume(GrdaUpdater.builder().learningRate(0.1).c(0.05).mu(0.6).build());
    }

    @Test
    void fusedSgdWithMomentumSavedAndRestoredContinuesBitForBit() throws IOException {
        checkResume(FusedSgdUpdater.builder().learningRate(0.05).momentum(0.9).nesterov(true).build());
    }

    private static void checkResume(RatedUpdater updater) throws IOException {
        List<DataSet> batches = Digits.of(4, BATCHES * BATCH, BATCH).train().batchBy(BATCH);
        MultiLayerNetwork whole = Mlps.net(updater, 37);
        SparsestepUpdaters.attach(whole);
        for (DataSet b : batches) whole.fit(b);

        MultiLayerNetwork first = Mlps.net(updater, 37);
        SparsestepUpdaters.attach(first);
        for (DataSet b : batches.subList(0, SAVED_AT)) first.fit(b);
        ByteArrayOutputStream saved = new ByteArrayOutputStream();
        ModelSerializer.writeModel(first, saved, true);

        MultiLayerNetwork resumed = ModelSerializer.restoreMultiLayerNetwork(new ByteArrayInputStream(saved.toByteArray()), true);
        assertEquals(updater, resumed.getLayerWiseConfigurations().getConf(0).getLayer().getUpdaterByParam("W"),
                "the updater's settings come back from the network's JSON");
        assertArrayEquals(bits(first.getUpdater().getStateViewArray()), bits(resumed.getUpdater().getStateViewArray()),
                "the updater state is restored");
        Attachment attachment = SparsestepUpdaters.attach(resumed);
        for (DataSet b : batches.subList(SAVED_AT, BATCHES)) resumed.fit(b);

        assertArrayEquals(bits(whole.params()), bits(resumed.params()), updater + ": the parameters");
        assertArrayEquals(bits(whole.getUpdater().getStateViewArray()), bits(resumed.getUpdater().getStateViewArray()),
                updater + ": the updater state");
        assertEquals(BATCHES - SAVED_AT, attachment.inPlaceSteps());
        if (updater instanceof GrdaUpdater) assertTrue(attachment.overallSparsity() > 0.05, "the threshold bit: " + attachment.overallSparsity());
    }

    /** A restored network is a new network with a new updater: gRDA without attach refuses to step, naming the call. */
    @Test
    void aRestoredNetworkMustBeAttachedAgain() throws IOException {
        DataSet batch = Digits.of(4, BATCH, BATCH).train();
        MultiLayerNetwork net = Mlps.net(GrdaUpdater.builder().learningRate(0.1).c(0.05).build(), 37);
        SparsestepUpdaters.attach(net);
        net.fit(batch);
        ByteArrayOutputStream saved = new ByteArrayOutputStream();
        ModelSerializer.writeModel(net, saved, true);
        MultiLayerNetwork restored = ModelSerializer.restoreMultiLayerNetwork(new ByteArrayInputStream(saved.toByteArray()), true);
        int[] before = bits(restored.params());
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> restored.fit(batch));
        assertTrue(e.getMessage().contains("call SparsestepUpdaters.attach(net) after net.init()"), e.getMessage());
        assertArrayEquals(before, bits(restored.params()), "nothing was stepped");
    }
}
