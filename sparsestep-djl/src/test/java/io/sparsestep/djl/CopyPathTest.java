package io.sparsestep.djl;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Parameter;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.training.tracker.Tracker;
import ai.djl.util.Pair;
import io.sparsestep.optim.PruneScope;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * The copy path (what a GPU tensor takes: DJL's public API gives no device pointer) of the
 * new methods: weights handed over as transposed views, whose {@code toByteBuffer} is a copy,
 * are stepped through a host copy and written back with {@code NDArray.set}, to the same bits
 * as the same values handed over as contiguous tensors stepped in place. Covers a per-tensor
 * rule (sDprun), GSM's buffered whole step (the weight copied in when it arrives, copied out
 * and back when the step runs) and global GMP's mask updates.
 */
class CopyPathTest {
    private static final int STEPS = 4, IN = 12, HIDDEN = 10, OUT = 3;

    @Test
    void sdprunThroughTheCopyPathGivesTheSameBits() {
        sameBits(block -> SparsestepOptimizer.sdprun().setBlock(block).setLearningRateTracker(Tracker.fixed(0.1f)).optC(0.5).build(), -1);
    }

    @Test
    void gsmsWholeStepThroughTheCopyPathGivesTheSameBits() {
        sameBits(block -> SparsestepOptimizer.gsm().setBlock(block).setLearningRateTracker(Tracker.fixed(0.1f)).optRatio(0.3).build(), -1);
    }

    @Test
    void globalGmpThroughTheCopyPathGivesTheSameBits() {
        sameBits(block -> SparsestepOptimizer.gmp().setBlock(block).setLearningRateTracker(Tracker.fixed(0.1f)).optFinalSparsity(0.7)
                .optEndStep(2).optFrequency(1).optScope(PruneScope.GLOBAL).build(),
                // 150 weights, k = round(150 * 0.3) = 45 kept at the last update
                105);
    }

    /** An array with the values of the [rows, cols] array {@code a} whose memory is [cols, rows]: non-contiguous. */
    private static NDArray transposedView(NDManager manager, NDArray a) {
        int rows = Math.toIntExact(a.getShape().get(0)), cols = Math.toIntExact(a.getShape().get(1));
        float[] values = a.toFloatArray(), t = new float[values.length];
        for (int r = 0; r < rows; r++) for (int c = 0; c < cols; c++) t[c * rows + r] = values[r * cols + c];
        return manager.create(t, new Shape(cols, rows)).transpose();
    }

    /** Both paths step alike; {@code zeros} (unless -1) is how many weights must end exactly +0.0. */
    private static void sameBits(Function<SequentialBlock, SparsestepOptimizer> build, long zeros) {
        Engine.getInstance().setRandomSeed(5);
        try (NDManager manager = NDManager.newBaseManager()) {
            SequentialBlock block = new SequentialBlock().add(Linear.builder().setUnits(HIDDEN).build()).add(Activation::relu)
                    .add(Linear.builder().setUnits(OUT).build());
            block.initialize(manager, DataType.FLOAT32, new Shape(1, IN));
            SparsestepOptimizer direct = build.apply(block), copied = build.apply(block);
            // each optimizer gets its own arrays of the same values: contiguous ones, and (weights) transposed views
            Map<String, NDArray> contiguous = new LinkedHashMap<>(), strided = new LinkedHashMap<>();
            for (Pair<String, Parameter> p : block.getParameters()) {
                NDArray a = p.getValue().getArray();
                contiguous.put(p.getKey(), a.duplicate());
                strided.put(p.getKey(), a.getShape().dimension() == 2 ? transposedView(manager, a) : a.duplicate());
            }
            assertNull(HostFloats.view(strided.get("01Linear_weight")), "a transposed view is no direct view of its data");
            SplittableRandom rng = new SplittableRandom(9);
            for (int step = 1; step <= STEPS; step++) {
                // NDArray.set, which writes a copy back, leaves a contiguous tensor: a fresh view each step keeps it strided
                for (Map.Entry<String, NDArray> e : strided.entrySet()) {
                    if (e.getValue().getShape().dimension() == 2) e.setValue(transposedView(manager, e.getValue()));
                }
                for (Pair<String, Parameter> p : block.getParameters()) {
                    NDArray w = contiguous.get(p.getKey());
                    float[] g = new float[Math.toIntExact(w.size())];
                    for (int i = 0; i < g.length; i++) g[i] = (float) rng.nextGaussian() * 0.5f;
                    direct.update(p.getValue().getId(), w, manager.create(g, w.getShape()));
                    copied.update(p.getValue().getId(), strided.get(p.getKey()), manager.create(g, w.getShape()));
                }
                for (String name : contiguous.keySet()) {
                    assertArrayEquals(CoreTwin.bits(contiguous.get(name).toFloatArray()), CoreTwin.bits(strided.get(name).toFloatArray()),
                            "step " + step + " " + name);
                }
            }
            if (zeros >= 0) {
                long found = 0;
                for (Map.Entry<String, NDArray> e : contiguous.entrySet()) {
                    if (!e.getKey().endsWith("_weight")) continue;
                    for (float v : e.getValue().toFloatArray()) if (Float.floatToRawIntBits(v) == 0) found++;
                }
                assertEquals(zeros, found, "weights pruned");
            }
            // 4 parameters a step: 2 weights through the copy (the biases are contiguous in both)
            assertEquals(STEPS * 4L, direct.inPlaceUpdates());
            assertEquals(STEPS * 2L, copied.copiedUpdates());
            assertEquals(STEPS * 2L, copied.inPlaceUpdates());
        }
    }
}
