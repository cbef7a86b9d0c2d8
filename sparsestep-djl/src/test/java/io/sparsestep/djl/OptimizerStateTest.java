package io.sparsestep.djl;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.EasyTrain;
import ai.djl.training.Trainer;
import ai.djl.training.dataset.ArrayDataset;
import ai.djl.training.dataset.Batch;
import ai.djl.training.loss.Loss;
import ai.djl.training.tracker.Tracker;
import ai.djl.util.Pair;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * saveState/loadState: training in DJL's loop, saved half way (DJL's {@code model.save} for
 * the weights, {@code saveState} for the optimizer), resumed into a freshly built model and
 * optimizer (new parameter ids) continues bit for bit like the run that never stopped; the
 * same resume without the optimizer state does not. And a state that does not fit is refused
 * whole, leaving the optimizer as it was.
 */
class OptimizerStateTest {
    private static final int HALF = 6;
    private static final int BATCH = 64;

    @Test
    void grdaResumedFromItsStateContinuesBitwise(@TempDir Path dir) throws Exception {
        resumesBitwise(dir, block -> SparsestepOptimizer.grda().setBlock(block).setLearningRateTracker(Tracker.fixed(0.1f))
                .optC(0.05).optMu(0.6).build());
    }

    @Test
    void sgdWithMomentumResumedFromItsStateContinuesBitwise(@TempDir Path dir) throws Exception {
        // a learning rate that changes every update: the restored update count must feed the tracker
        resumesBitwise(dir, block -> SparsestepOptimizer.fusedSgd().setBlock(block)
                .setLearningRateTracker((id, n) -> (float) (0.05 * Math.pow(0.95, n)))
                .optMomentum(0.9).optNesterov(true).build());
    }

    static void resumesBitwise(Path dir, Function<ai.djl.nn.Block, SparsestepOptimizer> optimizer) throws Exception {
        Engine.getInstance().setRandomSeed(3);
        try (NDManager manager = NDManager.newBaseManager()) {
            Batches batches = batches(manager);
            Map<String, float[]> straight;
            byte[] state;
            try (Model model = Model.newInstance("mlp")) {
                model.setBlock(Mlps.lenet300());
                SparsestepOptimizer opt = optimizer.apply(model.getBlock());
                try (Trainer trainer = trainer(model, opt)) {
                    train(trainer, batches.subList(0, HALF));
                    model.save(dir, "mlp");
                    ByteArrayOutputStream out = new ByteArrayOutputStream();
                    opt.saveState(out);
                    state = out.toByteArray();
                    train(trainer, batches.subList(HALF, batches.size()));
                }
                straight = weights(model);
            }
            Map<String, float[]> resumed = resume(dir, batches, optimizer, state);
            Map<String, float[]> withoutState = resume(dir, batches, optimizer, null);
            assertEquals(straight.keySet(), resumed.keySet());
            boolean anyDiffers = false;
            for (String name : straight.keySet()) {
                assertArrayEquals(bits(straight.get(name)), bits(resumed.get(name)), name);
                anyDiffers |= !Arrays.equals(bits(straight.get(name)), bits(withoutState.get(name)));
            }
            assertTrue(anyDiffers, "without its state the optimizer starts over and ends elsewhere");
        }
    }

    /** A new model loaded from {@code dir}, a new optimizer given {@code state} (none: null), trained on the second half. */
    private static Map<String, float[]> resume(Path dir, Batches batches, Function<ai.djl.nn.Block, SparsestepOptimizer> optimizer,
                                               byte[] state) throws Exception {
        try (Model model = Model.newInstance("mlp")) {
            model.setBlock(Mlps.lenet300());
            model.load(dir, "mlp");
            SparsestepOptimizer opt = optimizer.apply(model.getBlock());
            if (state != null) opt.loadState(new ByteArrayInputStream(state));
            try (Trainer trainer = trainer(model, opt)) {
                train(trainer, batches.subList(HALF, batches.size()));
            }
            return weights(model);
        }
    }

    @Test
    void aStateThatDoesNotFitIsRefusedWholeAndChangesNothing() throws Exception {
        try (NDManager manager = NDManager.newBaseManager(); Model model = Model.newInstance("mlp")) {
            model.setBlock(Mlps.lenet300());
            SparsestepOptimizer grda = SparsestepOptimizer.grda().setBlock(model.getBlock()).setLearningRateTracker(Tracker.fixed(0.1f)).build();
            try (Trainer trainer = trainer(model, grda)) {
                train(trainer, batches(manager).subList(0, 2));
            }
            byte[] saved = save(grda);

            SparsestepOptimizer otherC = SparsestepOptimizer.grda().setBlock(model.getBlock()).setLearningRateTracker(Tracker.fixed(0.1f))
                    .optC(0.02).build();
            IllegalArgumentException settings = assertThrows(IllegalArgumentException.class, () -> otherC.loadState(new ByteArrayInputStream(saved)));
            assertTrue(settings.getMessage().contains("gRDA c=0.01 mu=0.6 bias c=0.0") && settings.getMessage().contains("c=0.02"),
                    settings.getMessage());

            try (Model other = Model.newInstance("bn")) {
                other.setBlock(Mlps.withBatchNorm(16, 4));
                SparsestepOptimizer otherModel = SparsestepOptimizer.grda().setBlock(other.getBlock())
                        .setLearningRateTracker(Tracker.fixed(0.1f)).build();
                IllegalArgumentException model2 = assertThrows(IllegalArgumentException.class,
                        () -> otherModel.loadState(new ByteArrayInputStream(saved)));
                assertTrue(model2.getMessage().contains("which this block does not have"), model2.getMessage());
            }

            IOException truncated = assertThrows(IOException.class,
                    () -> grda.loadState(new ByteArrayInputStream(Arrays.copyOf(saved, saved.length - 5))));
            assertTrue(truncated.getMessage().contains("ends early"), truncated.getMessage());
            byte[] notState = saved.clone();
            notState[0] = 'X';
            IOException magic = assertThrows(IOException.class, () -> grda.loadState(new ByteArrayInputStream(notState)));
            assertTrue(magic.getMessage().contains("not a sparsestep DJL optimizer state"), magic.getMessage());
            assertArrayEquals(saved, save(grda), "the failed loads changed nothing");
        }
    }

    @Test
    void aBadLearningRateIsRefusedBeforeAnythingChanges() throws Exception {
        try (NDManager manager = NDManager.newBaseManager(); Model model = Model.newInstance("mlp")) {
            model.setBlock(Mlps.lenet300());
            SparsestepOptimizer grda = SparsestepOptimizer.grda().setBlock(model.getBlock())
                    .setLearningRateTracker((id, n) -> n == 1 ? 0.1f : Float.NaN).build();
            try (Trainer trainer = trainer(model, grda)) {
                Batches two = batches(manager).subList(0, 2);
                train(trainer, two.subList(0, 1));
                byte[] before = save(grda);
                Map<String, float[]> weights = weights(model);
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> train(trainer, two.subList(1, 2)));
                assertTrue(e.getMessage().contains("lr NaN at update 2"), e.getMessage());
                assertArrayEquals(before, save(grda));
                assertArrayEquals(bits(weights.get("01Linear_weight")), bits(weights(model).get("01Linear_weight")));
            }
        }
        // refused on its very first update, an optimizer keeps no state at all
        try (NDManager manager = NDManager.newBaseManager(); Model model = Model.newInstance("mlp")) {
            model.setBlock(Mlps.lenet300());
            SparsestepOptimizer never = SparsestepOptimizer.grda().setBlock(model.getBlock()).setLearningRateTracker((id, n) -> 0f).build();
            byte[] empty = save(never);
            try (Trainer trainer = trainer(model, never)) {
                assertThrows(IllegalArgumentException.class, () -> train(trainer, batches(manager).subList(0, 1)));
            }
            assertArrayEquals(empty, save(never));
        }
    }

    @Test
    void theBuilderNeedsTheBlockAndTheTrackerAndChecksTheSettings() {
        IllegalArgumentException noBlock = assertThrows(IllegalArgumentException.class,
                () -> SparsestepOptimizer.grda().setLearningRateTracker(Tracker.fixed(0.1f)).build());
        assertTrue(noBlock.getMessage().startsWith("setBlock(model.getBlock()) is required"), noBlock.getMessage());
        IllegalArgumentException noTracker = assertThrows(IllegalArgumentException.class,
                () -> SparsestepOptimizer.fusedSgd().setBlock(Mlps.lenet300()).build());
        assertTrue(noTracker.getMessage().startsWith("setLearningRateTracker(...) is required"), noTracker.getMessage());
        IllegalArgumentException mu = assertThrows(IllegalArgumentException.class,
                () -> SparsestepOptimizer.grda().setBlock(Mlps.lenet300()).setLearningRateTracker(Tracker.fixed(0.1f)).optMu(1.5).build());
        assertEquals("gRDA mu must be in (0, 1) (the theory assumes mu > 0.5), got 1.5", mu.getMessage());
        IllegalArgumentException nesterov = assertThrows(IllegalArgumentException.class,
                () -> SparsestepOptimizer.fusedSgd().setBlock(Mlps.lenet300()).setLearningRateTracker(Tracker.fixed(0.1f))
                        .optMomentum(0).optNesterov(true).build());
        assertTrue(nesterov.getMessage().startsWith("SGD nesterov requires momentum > 0"), nesterov.getMessage());
    }

    static Trainer trainer(Model model, SparsestepOptimizer optimizer) {
        Trainer trainer = model.newTrainer(new DefaultTrainingConfig(Loss.softmaxCrossEntropyLoss())
                .optOptimizer(optimizer).optDevices(new Device[] {Device.cpu()}));
        trainer.initialize(new Shape(1, 784));
        return trainer;
    }

    static void train(Trainer trainer, Batches batches) {
        for (int i = batches.from(); i < batches.to(); i++) {
            // a Batch closes the manager it is given when it closes: give it one of its own
            try (NDManager scope = trainer.getManager().newSubManager();
                 Batch b = batches.data().getByRange(scope, (long) i * BATCH, (long) (i + 1) * BATCH)) {
                EasyTrain.trainBatch(trainer, b);
                trainer.step();
            }
        }
    }

    /** Batches [from, to) of a dataset, each of {@value #BATCH} digits in order: the same batches for every run. */
    record Batches(ArrayDataset data, int from, int to) {
        Batches subList(int start, int end) { return new Batches(data, from + start, from + end); }

        int size() { return to - from; }
    }

    /** 12 batches of 64 digits. */
    static Batches batches(NDManager manager) {
        return new Batches(Digits.of(manager, 2, 12 * BATCH, BATCH, BATCH, false).train(), 0, 12);
    }

    private static Map<String, float[]> weights(Model model) {
        Map<String, float[]> out = new LinkedHashMap<>();
        for (Pair<String, Parameter> p : model.getBlock().getParameters()) out.put(p.getKey(), p.getValue().getArray().toFloatArray());
        assertFalse(out.isEmpty());
        return out;
    }

    static byte[] save(SparsestepOptimizer optimizer) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        optimizer.saveState(out);
        return out.toByteArray();
    }

    private static int[] bits(float[] values) {
        int[] out = new int[values.length];
        for (int i = 0; i < values.length; i++) out[i] = Float.floatToRawIntBits(values[i]);
        return out;
    }
}
