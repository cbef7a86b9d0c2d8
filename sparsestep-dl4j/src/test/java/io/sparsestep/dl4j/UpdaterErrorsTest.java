package io.sparsestep.dl4j;

import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.lossfunctions.LossFunctions;
import org.nd4j.linalg.schedule.MapSchedule;
import org.nd4j.linalg.schedule.ScheduleType;

import java.util.Map;

import static io.sparsestep.dl4j.Flat.bits;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Settings, configurations and states the updaters refuse, each with one line naming the fix, and the JSON they round-trip through. */
class UpdaterErrorsTest {
    private static final DataSet BATCH = Digits.of(9, 32, 32).train();

    @Test
    void settingsAreCheckedByTheCoresRules() {
        IllegalArgumentException mu = assertThrows(IllegalArgumentException.class, () -> GrdaUpdater.builder().mu(1.5).build());
        assertEquals("gRDA mu must be in (0, 1) (the theory assumes mu > 0.5), got 1.5", mu.getMessage());
        IllegalArgumentException c = assertThrows(IllegalArgumentException.class, () -> GrdaUpdater.builder().c(-1).build());
        assertEquals("gRDA c must be finite and >= 0, got -1.0", c.getMessage());
        IllegalArgumentException lr = assertThrows(IllegalArgumentException.class, () -> FusedSgdUpdater.builder().learningRate(0).build());
        assertEquals("SGD lr must be finite and > 0, got 0.0", lr.getMessage());
        IllegalArgumentException nesterov = assertThrows(IllegalArgumentException.class, () -> FusedSgdUpdater.builder().nesterov(true).build());
        assertTrue(nesterov.getMessage().startsWith("SGD nesterov requires momentum > 0"), nesterov.getMessage());
    }

    /** The network's JSON (what ModelSerializer stores) brings every setting back, a schedule included. */
    @Test
    void theConfigurationsRoundTripThroughDl4jsJson() {
        MapSchedule schedule = new MapSchedule(ScheduleType.EPOCH, Map.of(0, 0.1, 2, 0.01));
        for (RatedUpdater u : new RatedUpdater[] {
                GrdaUpdater.builder().learningRateSchedule(schedule).c(0.02).mu(0.55).thresholdBiases(true).build(),
                FusedSgdUpdater.builder().learningRate(0.03).momentum(0.8).dampening(0.1).build()}) {
            MultiLayerConfiguration conf = Mlps.conf(u, 8);
            MultiLayerConfiguration back = MultiLayerConfiguration.fromJson(conf.toJson());
            assertEquals(conf, back);
            assertEquals(u, back.getConf(0).getLayer().getUpdaterByParam("W"));
            assertEquals(u, u.clone());
        }
    }

    @Test
    void withoutAttachAGrdaStepIsRefusedAndChangesNothing() {
        MultiLayerNetwork net = Mlps.net(GrdaUpdater.builder().learningRate(0.1).build(), 8);
        IllegalStateException e = refusedAndUnchanged(net, IllegalStateException.class);
        assertTrue(e.getMessage().startsWith("GrdaUpdater needs the network's weights") && e.getMessage().contains("SparsestepUpdaters.attach(net)"),
                e.getMessage());
    }

    @Test
    void aRateOfZeroFromTheScheduleIsRefusedBeforeAnythingChanges() {
        MapSchedule zeroLater = new MapSchedule(ScheduleType.ITERATION, Map.of(0, 0.1, 1, 0.0));
        MultiLayerNetwork net = Mlps.net(GrdaUpdater.builder().learningRateSchedule(zeroLater).c(0.05).build(), 8);
        SparsestepUpdaters.attach(net);
        net.fit(BATCH);
        IllegalArgumentException e = refusedAndUnchanged(net, IllegalArgumentException.class);
        assertTrue(e.getMessage().contains("gives learning rate 0.0 at iteration 1") && e.getMessage().contains("must be finite and > 0"),
                e.getMessage());
    }

    /** A header float that is no 16-bit chunk (a state not written by this updater) is refused before the step. */
    @Test
    void aDamagedStateIsRefused() {
        MultiLayerNetwork net = Mlps.net(GrdaUpdater.builder().learningRate(0.1).c(0.05).build(), 8);
        SparsestepUpdaters.attach(net);
        net.fit(BATCH);
        INDArray state = net.getUpdater().getStateViewArray();
        state.putScalar(1, 0.5);
        IllegalStateException e = refusedAndUnchanged(net, IllegalStateException.class);
        assertEquals("the updater state is damaged: header float 1 is 0.5, not a 16-bit chunk; was the state written by this updater?",
                e.getMessage());
        IllegalStateException tau = assertThrows(IllegalStateException.class, () -> new StateHeader(0, 0.25));
        assertTrue(tau.getMessage().contains("0 before the first step"), tau.getMessage());
    }

    /** DL4J's WeightDecay acts on the update after the updater, which would move gRDA's weights off S(acc): refused at attach; .l2 is fine. */
    @Test
    void decayAfterTheUpdaterIsRefusedAtAttach() {
        GrdaUpdater grda = GrdaUpdater.builder().learningRate(0.1).build();
        MultiLayerNetwork decayed = new MultiLayerNetwork(mlp(new NeuralNetConfiguration.Builder().updater(grda).weightDecay(1e-4)));
        decayed.init();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SparsestepUpdaters.attach(decayed));
        assertTrue(e.getMessage().contains("applies WeightDecay to W after the updater") && e.getMessage().contains(".l2(...)"), e.getMessage());
        MultiLayerNetwork l2 = new MultiLayerNetwork(mlp(new NeuralNetConfiguration.Builder().updater(grda).l2(1e-4)));
        l2.init();
        SparsestepUpdaters.attach(l2);
        l2.fit(BATCH);
    }

    @Test
    void aFloat64NetworkIsRefusedAtAttach() {
        MultiLayerNetwork net = new MultiLayerNetwork(mlp(new NeuralNetConfiguration.Builder().dataType(DataType.DOUBLE)
                .updater(GrdaUpdater.builder().build())));
        net.init();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SparsestepUpdaters.attach(net));
        assertTrue(e.getMessage().startsWith("the network's parameters are DOUBLE; sparsestep's steps take float32"), e.getMessage());
    }

    @Test
    void sameDiffStateMapsAreNotSupported() {
        UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class,
                () -> GrdaUpdater.builder().build().instantiate(Map.of(), true));
        assertTrue(e.getMessage().contains("SameDiff"), e.getMessage());
    }

    /** A fit of one batch fails with {@code type}, leaving the parameters and the updater state as they were. */
    private static <T extends Throwable> T refusedAndUnchanged(MultiLayerNetwork net, Class<T> type) {
        int[] params = bits(net.params()), state = bits(net.getUpdater().getStateViewArray());
        T e = assertThrows(type, () -> net.fit(BATCH));
        assertArrayEquals(params, bits(net.params()), "the parameters");
        assertArrayEquals(state, bits(net.getUpdater().getStateViewArray()), "the updater state");
        return e;
    }

    private static MultiLayerConfiguration mlp(NeuralNetConfiguration.Builder builder) {
        return builder.seed(1).list()
                .layer(new DenseLayer.Builder().nIn(784).nOut(8).activation(Activation.RELU).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nIn(8).nOut(10).activation(Activation.SOFTMAX).build())
                .build();
    }
}
