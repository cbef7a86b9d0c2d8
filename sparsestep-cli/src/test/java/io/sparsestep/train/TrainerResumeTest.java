package io.sparsestep.train;

import io.sparsestep.store.RunPosition;

import io.sparsestep.backend.cpu.CpuBackend;
import io.sparsestep.data.BatchLoader;
import io.sparsestep.data.Datasets;
import io.sparsestep.data.Normalization;
import io.sparsestep.data.TrainTest;
import io.sparsestep.nn.Models;
import io.sparsestep.nn.Network;
import io.sparsestep.optim.LrSchedule;
import io.sparsestep.optim.Methods;
import io.sparsestep.optim.Optimizer;
import io.sparsestep.params.ParamBuffer;
import io.sparsestep.store.EpochRow;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static io.sparsestep.testing.Bits.assertSameBits;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The loop resumes exactly: a batch-norm model (ResNet-20 on synth-cifar with crop+flip, a
 * step lr schedule whose milestone falls after the resume point) trained 3 epochs in one
 * go, and trained 1 epoch, its state taken (weights, batch-norm statistics, optimizer
 * buffers and scalars, position), then continued on a fresh network and optimizer from
 * that state for epochs 2-3, end with the same weights bit for bit and the same epoch rows
 * (all but the wall-clock seconds), for every registered method (pruning methods with options
 * that make them prune before and after the resume point; their masks are part of the state). Also: listeners see every step and epoch, and a stop
 * request ends the loop after the current step.
 */
class TrainerResumeTest {
    private static final int[] SHAPE = {3, 32, 32};
    private static final int EPOCHS = 3;

    private record Snapshot(float[] params, float[] states, Map<String, float[]> buffers, Map<String, byte[]> masks,
                            Map<String, Double> scalars, RunPosition position) {}

    /** Options that make each pruning method act inside these 3 epochs, on both sides of the resume point. */
    private static final Map<String, Map<String, String>> ACTING = Map.of(
            "gsm", Map.of("--ratio", "0.3"),
            "gmp", Map.of("--frequency", "2", "--final-sparsity", "0.8"),
            "droppruning", Map.of("--final-epochs", "1", "--alpha", "0.5", "--q", "0.2"),
            "magnitude", Map.of("--prune-epoch", "1"),
            "campfire", Map.of("--freeze-epoch", "2"),
            "l1-filter", Map.of("--prune-epoch", "1", "--ratio", "0.6"),
            "slimming", Map.of("--prune-epoch", "1", "--percent", "0.6", "--penalty", "1e-3"));

    @Test
    void resumingFromAnEpochBoundaryGivesTheUninterruptedRunBitForBit() {
        TrainTest data = Datasets.load("synth-cifar", null, 5, 16, 8);
        for (String method : Methods.ALL.stream().map(io.sparsestep.optim.Method::id).toList()) {
            Snapshot[] atOne = new Snapshot[1];
            float[] uninterrupted;
            List<EpochRow> rowsUninterrupted;
            try (Run run = new Run(data, method)) {
                rowsUninterrupted = run.trainer.run(RunPosition.START, EPOCHS);
                uninterrupted = run.net.paramSpace().values().toHost();
            }
            try (Run run = new Run(data, method)) {
                // stop after epoch 1 by running only it, then snapshot as a checkpoint would
                List<EpochRow> first = run.trainer.run(RunPosition.START, 1);
                atOne[0] = snapshot(run, new RunPosition(1, run.lastGlobalStep, first));
            }
            try (Run run = new Run(data, method)) {
                restore(run, atOne[0]);
                List<EpochRow> rows = run.trainer.run(atOne[0].position(), EPOCHS);
                assertSameBits(uninterrupted, run.net.paramSpace().values().toHost(), method + ": weights after resuming at epoch 1");
                assertEquals(rowsUninterrupted.size(), rows.size());
                if (ACTING.containsKey(method)) {
                    double sparsity = rows.getLast().sparsity();
                    assertTrue(sparsity > 0.2, method + " pruned only " + sparsity + " of the weights: the test would not see its masks");
                }
                for (int i = 0; i < rows.size(); i++) {
                    assertEquals(withoutSeconds(rowsUninterrupted.get(i)), withoutSeconds(rows.get(i)), method + " row " + (i + 1));
                }
            }
        }
    }

    @Test
    void aStopRequestEndsTheLoopAfterTheCurrentStepAndListenersSeeTheEnd() {
        TrainTest data = Datasets.load("synth-cifar", null, 5, 16, 8);
        List<String> seen = new ArrayList<>();
        try (Run run = new Run(data, "sgd", new TrainingListener() {
            @Override
            public void onStep(StepEvent e) {
                seen.add("step " + e.globalStep());
            }

            @Override
            public void onRunEnd(boolean completed) { seen.add("end " + completed); }
        })) {
            run.stopAt = 2;
            TrainingStoppedException e = assertThrows(TrainingStoppedException.class, () -> run.trainer.run(EPOCHS));
            assertEquals(2, e.globalStep());
            assertEquals(List.of("step 1", "step 2", "end false"), seen.subList(0, 3));
        }
    }

    private static EpochRow withoutSeconds(EpochRow r) {
        return new EpochRow(r.epoch(), r.lr(), r.trainLoss(), r.trainAccuracy(), r.testLoss(), r.testAccuracy(), r.sparsity(), 0,
                r.layerSparsity());
    }

    private static Snapshot snapshot(Run run, RunPosition position) {
        Map<String, float[]> buffers = new HashMap<>();
        for (Map.Entry<String, ParamBuffer> e : run.opt.state().buffers().entrySet()) buffers.put(e.getKey(), e.getValue().toHost());
        Map<String, byte[]> masks = new HashMap<>();
        for (var e : run.opt.state().masks().entrySet()) masks.put(e.getKey(), e.getValue().toHost());
        float[] states;
        try (Arena arena = Arena.ofConfined()) {
            states = run.net.downloadAll(run.net.memory().states(), arena).toArray(ValueLayout.JAVA_FLOAT);
        }
        return new Snapshot(run.net.paramSpace().values().toHost(), states, buffers, masks, run.opt.state().scalars(), position);
    }

    private static void restore(Run run, Snapshot s) {
        run.net.paramSpace().values().fromHost(s.params());
        for (Map.Entry<String, ParamBuffer> e : run.opt.state().buffers().entrySet()) e.getValue().fromHost(s.buffers().get(e.getKey()));
        for (var e : run.opt.state().masks().entrySet()) e.getValue().fromHost(s.masks().get(e.getKey()));
        run.opt.restoreScalars(s.scalars());
        var states = run.net.memory().states();
        run.net.backend().upload(MemorySegment.ofArray(s.states()), new io.sparsestep.backend.Tensor(states, 0, s.states().length));
    }

    /** A ResNet-20 run on the CPU: network, optimizer, loaders and trainer, closed together. */
    private static final class Run implements AutoCloseable {
        final CpuBackend be = new CpuBackend(2);
        final Network net;
        final Optimizer opt;
        final Trainer trainer;
        long lastGlobalStep;
        long stopAt = -1;

        Run(TrainTest data, String method, TrainingListener... extra) {
            Normalization norm = Normalization.of(data.train());
            BatchLoader train = new BatchLoader(data.train(), 8, true, true, 5, norm), test = new BatchLoader(data.test(), 8, false, false, 5, norm);
            net = Network.build("resnet20", be, Models.create("resnet20", SHAPE, data.classes()), SHAPE, data.classes(), 8, 5,
                    train.lastBatchSize(), test.lastBatchSize());
            Map<String, String> options = new HashMap<>(ACTING.getOrDefault(method, Map.of()));
            options.put("--lr", "0.05");
            opt = Methods.parse(method, options).build(net.paramSpace(), new io.sparsestep.optim.TrainingPlan(EPOCHS, train.batches(), 5));
            List<TrainingListener> listeners = new ArrayList<>(List.of(extra));
            listeners.add(new TrainingListener() {
                @Override
                public void onStep(StepEvent e) {
                    if (e.globalStep() == stopAt) trainerRef().requestStop();
                }

                @Override
                public void onEpochEnd(EpochEnd e) { lastGlobalStep = e.globalStep(); }
            });
            // milestone at epoch 2: the resumed run must pick the schedule up at the right step
            trainer = new Trainer(net, opt, new LrSchedule.Step(new int[] {2}, 0.1), 0.05, train, test, listeners);
        }

        private Trainer trainerRef() { return trainer; }

        @Override
        public void close() {
            trainer.close();
            opt.close();
            net.close();
            be.close();
        }
    }
}
