package io.sparsestep.dl4j;

import io.sparsestep.backend.cpu.CpuFusedSteps;
import io.sparsestep.optim.Grda;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.updater.UpdaterBlock;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.learning.GradientUpdater;
import org.nd4j.linalg.schedule.MapSchedule;
import org.nd4j.linalg.schedule.ScheduleType;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.IntToDoubleFunction;

import static io.sparsestep.dl4j.Flat.bits;
import static io.sparsestep.dl4j.Flat.floats;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The adapter's gRDA on DL4J's own memory, inside DL4J's fit, is the core's
 * {@code CpuFusedSteps.grdaStep} on plain copies, bit for bit: the copies start from the
 * network's initial weights, take the gradients DL4J computed (recorded before its updater
 * and divided by the batch size as DL4J divides them), weights at the threshold, biases at 0.
 * An MLP 784-37-10 (odd sizes: the vector loop and the scalar tail both run), one updater
 * block for all four variables. And a strided array takes the copy path to the same bits.
 */
class StepOnDl4jMemoryTest {
    private static final int BATCH = 64, STEPS = 6;
    private static final double LR = 0.1, C = 0.3, MU = 0.6;

    @Test
    void grdaInsideFitIsTheCoreStepOnACopyBitForBit() {
        checkAgainstTheCore(GrdaUpdater.builder().learningRate(LR).c(C).mu(MU).build(), k -> LR);
    }

    /** With a schedule (0.1, then 0.05 from iteration 3) each step's threshold increment takes that step's rate. */
    @Test
    void aScheduleGrowsTheThresholdWithEachStepsRate() {
        MapSchedule schedule = new MapSchedule(ScheduleType.ITERATION, Map.of(0, LR, 3, LR / 2));
        checkAgainstTheCore(GrdaUpdater.builder().learningRateSchedule(schedule).c(C).mu(MU).build(), k -> k < 3 ? LR : LR / 2);
    }

    /** Trains {@value #STEPS} steps with DL4J's fit and replays them with the core on copies ({@code lrOfStep}: 0-based step). */
    private static void checkAgainstTheCore(GrdaUpdater updater, IntToDoubleFunction lrOfStep) {
        Digits data = Digits.of(3, STEPS * BATCH, BATCH);
        MultiLayerNetwork net = Mlps.net(updater, 37);
        Attachment attachment = SparsestepUpdaters.attach(net);
        RecordedGradients recorded = new RecordedGradients();
        net.setListeners(recorded);
        float[] w0 = floats(net.params());
        net.fit(data.trainBatches(BATCH), 1);
        assertEquals(STEPS, recorded.all().size());

        List<Flat.Variable> layout = Flat.layout(net);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment w = Flat.copy(arena, w0), acc = Flat.copy(arena, w0); // the accumulator starts at the weights
            double tau = 0;
            long zeros = 0;
            for (int k = 0; k < STEPS; k++) {
                MemorySegment g = Flat.copy(arena, recorded.update(k, BATCH));
                double lr = lrOfStep.applyAsDouble(k);
                tau += Grda.tauIncrement(C, MU, lr, k + 1);
                zeros = 0;
                for (Flat.Variable v : layout) {
                    long z = CpuFusedSteps.grdaStep(Flat.slice(w, v), Flat.slice(g, v), Flat.slice(acc, v), v.length(), (float) lr,
                            v.prunable() ? (float) tau : 0f);
                    if (v.prunable()) zeros += z;
                }
            }
            assertArrayEquals(bits(w.toArray(ValueLayout.JAVA_FLOAT)), bits(net.params()), "the weights after " + STEPS + " steps");
            UpdaterBlock block = Flat.blocks(net).getFirst();
            assertEquals(1, Flat.blocks(net).size(), "W, b, W, b with equal updaters: one block");
            assertArrayEquals(bits(acc.toArray(ValueLayout.JAVA_FLOAT)), bits(Flat.stateAfterHeader(block, w0.length)),
                    "the accumulator in DL4J's state view");
            assertEquals(new StateHeader(STEPS, tau), StateHeader.read(HostFloats.view(block.getUpdaterView())), "step count and tau");
            long weights = 784 * 37 + 37 * 10;
            assertTrue(zeros > weights / 10 && zeros < weights - weights / 10, "the threshold bites but not everywhere: " + zeros + " of " + weights);
            assertEquals(zeros, Math.round(attachment.overallSparsity() * weights));
        }
        assertEquals(STEPS, attachment.inPlaceSteps(), "every step ran on DL4J's own memory");
        assertEquals(0, attachment.copiedSteps());
    }

    @Test
    void aStridedGradientTakesTheCopyPathToTheSameBits() {
        GrdaUpdater config = GrdaUpdater.builder().learningRate(LR).c(C).mu(MU).build();
        MultiLayerNetwork direct = Mlps.net(config, 37), copied = Mlps.net(config, 37);
        Attachment directRun = SparsestepUpdaters.attach(direct), copiedRun = SparsestepUpdaters.attach(copied);
        GradientUpdater<?> onView = Flat.blocks(direct).getFirst().getGradientUpdater();
        GradientUpdater<?> onCopy = Flat.blocks(copied).getFirst().getGradientUpdater();
        int n = (int) direct.numParams();
        SplittableRandom rng = new SplittableRandom(5);
        for (int step = 0; step < 3; step++) {
            float[] g = new float[n];
            for (int i = 0; i < n; i++) g[i] = (float) rng.nextGaussian() * 0.5f;
            INDArray contiguous = Nd4j.create(g, new long[] {n}, 'c');
            INDArray wide = Nd4j.zeros(2L * n);
            INDArray strided = wide.get(NDArrayIndex.interval(0, 2, 2L * n));
            strided.assign(contiguous);
            assertNotNull(HostFloats.view(contiguous));
            assertNull(HostFloats.view(strided), "a stride-2 view is not contiguous: the copy path");
            onView.applyUpdater(contiguous, step, 0);
            onCopy.applyUpdater(strided, step, 0);
            assertArrayEquals(bits(contiguous), bits(strided), "the update, step " + step);
            // DL4J's own step: params -= update
            direct.params().subi(contiguous.reshape(direct.params().shape()));
            copied.params().subi(strided.dup('c').reshape(copied.params().shape()));
            assertArrayEquals(bits(direct.params()), bits(copied.params()), "the weights, step " + step);
        }
        assertEquals(3, directRun.inPlaceSteps());
        assertEquals(0, directRun.copiedSteps());
        assertEquals(3, copiedRun.copiedSteps());
        assertEquals(0, copiedRun.inPlaceSteps());
    }

    /** A view's segment starts at the view's first element (ND4J's view offset counted), and writes through it are the array's. */
    @Test
    void theSegmentOfAViewIsTheArraysOwnMemory() {
        INDArray flat = Nd4j.create(new float[] {0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, new long[] {10}, 'c');
        INDArray view = flat.get(NDArrayIndex.interval(3, 7)).reshape(4);
        MemorySegment s = HostFloats.view(view);
        assertNotNull(s);
        assertEquals(4L * Float.BYTES, s.byteSize());
        assertEquals(3f, s.getAtIndex(ValueLayout.JAVA_FLOAT, 0));
        s.setAtIndex(ValueLayout.JAVA_FLOAT, 3, -6f);
        assertEquals(-6f, flat.getFloat(6));
        assertNull(HostFloats.view(Nd4j.create(new float[6], new long[] {2, 3}, 'c')), "two dimensions: the copy path");
        assertNull(HostFloats.view(Nd4j.create(new double[] {1, 2})), "float64: not a float32 view");
    }
}
