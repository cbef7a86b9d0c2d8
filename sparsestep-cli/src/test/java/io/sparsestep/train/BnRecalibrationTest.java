package io.sparsestep.train;

import io.sparsestep.analysis.BatchNormStatistics;
import io.sparsestep.backend.Tensor;
import io.sparsestep.backend.cpu.CpuBackend;
import io.sparsestep.data.BatchLoader;
import io.sparsestep.data.Datasets;
import io.sparsestep.data.Normalization;
import io.sparsestep.data.TrainTest;
import io.sparsestep.nn.BatchNorm2d;
import io.sparsestep.nn.Conv2d;
import io.sparsestep.nn.Flatten;
import io.sparsestep.nn.Linear;
import io.sparsestep.nn.Network;
import io.sparsestep.nn.Pool2d;
import io.sparsestep.nn.ReLU;
import io.sparsestep.nn.Sequential;
import io.sparsestep.optim.LrSchedule;
import io.sparsestep.optim.Methods;
import io.sparsestep.optim.Optimizer;
import io.sparsestep.optim.Sdprun;
import io.sparsestep.optim.TrainingPlan;
import io.sparsestep.store.EpochRow;
import io.sparsestep.store.RunPosition;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static io.sparsestep.testing.Bits.assertSameBits;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code --bn-recalibrate} in the training loop, on a two-conv net with batch norm that sDprun
 * (a large c) prunes whole filters of: with {@code eval} every epoch's test row equals the
 * evaluation of the plain run's weights after that epoch with statistics recomputed outside the
 * loop, and the weights are the plain run's bit for bit (training does not read the running
 * statistics); {@code end} changes only the last row; {@code off} through the new constructor is
 * the old constructor's run bit for bit, weights, statistics and rows; a run with {@code eval}
 * resumed after epoch 1 from its state (statistics included) gives the uninterrupted rows and
 * statistics.
 */
class BnRecalibrationTest {
    private static final int EPOCHS = 3, BATCH = 32;
    private static final TrainTest DATA = Datasets.load("synth-cifar", null, 3, 96, 40);

    /** Weights, running statistics and the rows of a finished run. */
    private record Outcome(float[] weights, float[] states, List<EpochRow> rows) {}

    @Test
    void evalRowsAreTheRecomputedStatisticsEvaluationAndTrainingIsUnchanged() {
        Outcome plain = run(null, RunPosition.START, EPOCHS);
        // the plain run again, its weights after each epoch evaluated with statistics recomputed here
        List<double[]> recomputed = new ArrayList<>();
        try (Run r = new Run(null)) {
            r.listeners.add(new TrainingListener() {
                @Override
                public void onEpochEnd(EpochEnd e) {
                    assertTrue(BatchNormStatistics.recompute(r.net, r.pass()));
                    try (Evaluation test = new Evaluation(r.net, r.test)) {
                        Evaluation.Result t = test.run();
                        recomputed.add(new double[] {t.loss(), t.accuracy()});
                    }
                }
            });
            r.trainer().run(EPOCHS);
            var zero = ((Sdprun) r.opt).zeroGroups();
            // some filters zero, not all (a network of zeros evaluates to ln 10 with any statistics)
            // some filters zero, not all (a network of zeros evaluates to ln 10 with any statistics)
            assertTrue(zero.stream().anyMatch(c -> c.zero() > 0) && zero.stream().allMatch(c -> c.zero() < c.groups()), "zero filters: " + zero);
        }
        Outcome eval = run(BnRecalibration.EVAL, RunPosition.START, EPOCHS);
        assertSameBits(plain.weights(), eval.weights(), "the weights do not depend on the running statistics");
        for (int e = 0; e < EPOCHS; e++) {
            EpochRow row = eval.rows().get(e);
            assertEquals(recomputed.get(e)[0], row.testLoss(), "epoch " + (e + 1) + " test loss");
            assertEquals(recomputed.get(e)[1], row.testAccuracy(), "epoch " + (e + 1) + " test accuracy");
            assertEquals(plain.rows().get(e).trainLoss(), row.trainLoss(), "epoch " + (e + 1) + " train loss");
        }
        assertNotEquals(plain.rows().getLast().testLoss(), eval.rows().getLast().testLoss(),
                "the running statistics should evaluate differently here, or this test could not see the recompute");

        Outcome end = run(BnRecalibration.END, RunPosition.START, EPOCHS);
        for (int e = 0; e < EPOCHS - 1; e++) assertEquals(untimed(plain.rows().get(e)), untimed(end.rows().get(e)), "end: row " + (e + 1));
        assertEquals(untimed(eval.rows().getLast()), untimed(end.rows().getLast()), "end: the last row is recomputed");
        assertSameBits(eval.states(), end.states(), "end: the saved statistics are the recomputed ones");
    }

    @Test
    void offIsTheRunWithoutTheOptionBitForBit() {
        Outcome old = run(null, RunPosition.START, EPOCHS), off = run(BnRecalibration.OFF, RunPosition.START, EPOCHS);
        assertSameBits(old.weights(), off.weights(), "weights");
        assertSameBits(old.states(), off.states(), "running statistics");
        for (int e = 0; e < EPOCHS; e++) assertEquals(untimed(old.rows().get(e)), untimed(off.rows().get(e)), "row " + (e + 1));
    }

    @Test
    void aResumedEvalRunGivesTheUninterruptedRowsAndStatistics() {
        Outcome whole = run(BnRecalibration.EVAL, RunPosition.START, EPOCHS);
        float[] weights, states, acc;
        Map<String, Double> scalars;
        RunPosition after1;
        try (Run r = new Run(BnRecalibration.EVAL)) {
            List<EpochRow> first = r.trainer().run(1);
            // what a checkpoint holds after epoch 1
            weights = r.net.paramSpace().values().toHost();
            states = states(r.net);
            acc = r.opt.state().buffers().get("acc").toHost();
            scalars = r.opt.state().scalars();
            after1 = new RunPosition(1, r.train.batches(), first);
        }
        Outcome resumed;
        try (Run r = new Run(BnRecalibration.EVAL)) {
            r.net.paramSpace().values().fromHost(weights);
            r.net.backend().upload(MemorySegment.ofArray(states), new Tensor(r.net.memory().states(), 0, states.length));
            r.opt.state().buffers().get("acc").fromHost(acc);
            r.opt.restoreScalars(scalars);
            List<EpochRow> rows = r.trainer().run(after1, EPOCHS);
            resumed = new Outcome(r.net.paramSpace().values().toHost(), states(r.net), rows);
        }
        assertSameBits(whole.weights(), resumed.weights(), "weights after resuming");
        assertSameBits(whole.states(), resumed.states(), "recomputed statistics after resuming");
        for (int e = 0; e < EPOCHS; e++) assertEquals(untimed(whole.rows().get(e)), untimed(resumed.rows().get(e)), "row " + (e + 1));
    }

    @Test
    void theDefaultIsEvalForSdprunAndOffForTheOtherMethods() {
        for (var m : Methods.ALL) {
            var spec = Methods.parse(m.id(), Map.of());
            assertEquals(m.id().equals("sdprun") ? BnRecalibration.EVAL : BnRecalibration.OFF, BnRecalibration.resolve(null, spec), m.id());
            assertEquals(BnRecalibration.OFF, BnRecalibration.resolve("off", spec), m.id() + ": given off");
            assertEquals(BnRecalibration.END, BnRecalibration.resolve("end", spec), m.id() + ": given end");
        }
        var e = assertThrows(IllegalArgumentException.class, () -> BnRecalibration.resolve("EVAL", Methods.parse("sdprun", Map.of())));
        assertEquals("--bn-recalibrate EVAL is not one of off, eval, end", e.getMessage());
    }

    @Test
    void theMethodSpecDeclaresTheDefaultTheOptionReads() {
        for (var m : Methods.ALL) {
            var spec = Methods.parse(m.id(), Map.of());
            assertEquals(spec.bnRecalibrateDefault(), BnRecalibration.resolve(null, spec).option(), m.id() + ": the spec's default");
            assertEquals(BnRecalibration.EVAL, BnRecalibration.resolve("eval", spec), m.id() + ": the option overrides the spec");
        }
        // whatever a method declares is the setting (a new method needs no edit here), and a given value wins over it
        for (BnRecalibration declared : BnRecalibration.values()) {
            assertEquals(declared, BnRecalibration.resolve(null, declared.option()), "declared " + declared.option());
            assertEquals(BnRecalibration.OFF, BnRecalibration.resolve("off", declared.option()), "declared " + declared.option() + ", given off");
        }
        var e = assertThrows(IllegalArgumentException.class, () -> BnRecalibration.resolve(null, "always"));
        assertEquals("--bn-recalibrate always (the method's default) is not one of off, eval, end", e.getMessage());
    }

    @Test
    void aRecalibratingTrainerNeedsThePass() {
        try (Run r = new Run(null)) {
            var e = assertThrows(IllegalArgumentException.class, () -> new Trainer(r.net, r.opt, new LrSchedule.Constant(), 0.1, r.train, r.test,
                    List.of(), BnRecalibration.END, null));
            assertTrue(e.getMessage().contains("--bn-recalibrate end"), e.getMessage());
        }
    }

    /** A run of {@code mode} (null: the trainer's old constructor) from the start, for {@code epochs}. */
    private static Outcome run(BnRecalibration mode, RunPosition from, int epochs) {
        try (Run r = new Run(mode)) {
            List<EpochRow> rows = r.trainer().run(from, epochs);
            return new Outcome(r.net.paramSpace().values().toHost(), states(r.net), rows);
        }
    }

    private static float[] states(Network net) {
        try (Arena arena = Arena.ofConfined()) {
            return net.downloadAll(net.memory().states(), arena).toArray(ValueLayout.JAVA_FLOAT);
        }
    }

    private static EpochRow untimed(EpochRow r) {
        return new EpochRow(r.epoch(), r.lr(), r.trainLoss(), r.trainAccuracy(), r.testLoss(), r.testAccuracy(), r.sparsity(), 0,
                r.layerSparsity());
    }

    /** Two 3x3 convs (stride 2) with batch norm and a linear head on synth-cifar, sDprun at a c that zeroes a filter of conv2 in 9 steps. */
    private static final class Run implements AutoCloseable {
        final CpuBackend be = new CpuBackend(2);
        final Normalization norm = Normalization.of(DATA.train());
        final BatchLoader train = new BatchLoader(DATA.train(), BATCH, true, true, 5, norm);
        final BatchLoader test = new BatchLoader(DATA.test(), BATCH, false, false, 5, norm);
        final Network net;
        final Optimizer opt;
        final BnRecalibration mode;
        final List<TrainingListener> listeners = new ArrayList<>();
        private Trainer trainer;

        Run(BnRecalibration mode) {
            this.mode = mode;
            int[] shape = {DATA.channels(), DATA.height(), DATA.width()};
            Sequential root = new Sequential("", new Conv2d("conv1", 8, 3, 2, 1, false), new BatchNorm2d("bn1"), new ReLU("relu1"),
                    new Conv2d("conv2", 8, 3, 2, 1, false), new BatchNorm2d("bn2"), new ReLU("relu2"), Pool2d.globalAverage("pool"), new Flatten("flatten"),
                    new Linear("fc", DATA.classes()));
            net = Network.build("tiny-bn", be, root, shape, DATA.classes(), BATCH, 5, train.lastBatchSize(), test.lastBatchSize());
            opt = Methods.parse("sdprun", Map.of("--lr", "0.1", "--c", "0.5")).build(net.paramSpace(), new TrainingPlan(EPOCHS, train.batches(), 5));
        }

        /** The training split in order, not augmented: what TrainingRun recomputes over. */
        BatchLoader pass() { return new BatchLoader(DATA.train(), BATCH, false, false, 5, norm); }

        Trainer trainer() {
            trainer = mode == null ? new Trainer(net, opt, new LrSchedule.Constant(), 0.1, train, test, listeners)
                    : new Trainer(net, opt, new LrSchedule.Constant(), 0.1, train, test, listeners, mode, pass());
            return trainer;
        }

        @Override
        public void close() {
            if (trainer != null) trainer.close();
            opt.close();
            net.close();
            be.close();
        }
    }
}
