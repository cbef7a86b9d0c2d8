package io.sparsestep.djl;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.nn.SequentialBlock;
import ai.djl.training.tracker.Tracker;
import ai.djl.util.Pair;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Weights and the rest are told apart through the block: with a threshold far above every
 * value (c = 100, so tau = 100 * 0.1^1.1 = 7.9 after one step) every weight is zero, while
 * biases and batch norm's gamma and beta, at bias c 0, take exactly the SGD step
 * {@code w - lr*g} (computed here in float). With bias c 100 they are thresholded too.
 */
class BiasAndNormTest {
    private static final float LR = 0.1f;

    @Test
    void biasesAndBatchNormAreNotThresholdedAtBiasC0() {
        try (NDManager manager = NDManager.newBaseManager()) {
            SequentialBlock block = initialized(manager);
            SparsestepOptimizer grda = SparsestepOptimizer.grda().setBlock(block).setLearningRateTracker(Tracker.fixed(LR))
                    .optC(100).build();
            List<String> kept = new ArrayList<>();
            for (Stepped s : stepAll(manager, block, grda)) {
                Parameter.Type type = s.parameter().getType();
                float[] now = s.parameter().getArray().toFloatArray();
                if (type == Parameter.Type.WEIGHT) {
                    for (float v : now) assertEquals(0, Float.floatToRawIntBits(v), s.name() + " is thresholded to +0.0");
                } else {
                    for (int i = 0; i < now.length; i++) {
                        assertEquals(Float.floatToRawIntBits(s.before()[i] - LR * s.grad()[i]), Float.floatToRawIntBits(now[i]),
                                s.name() + "[" + i + "] takes the plain SGD step");
                    }
                    kept.add(s.name());
                }
            }
            assertEquals(List.of("01Linear_bias", "02BatchNorm_gamma", "02BatchNorm_beta", "04Linear_bias"), kept);
            assertEquals(List.of("01Linear_weight", "04Linear_weight"), List.copyOf(grda.sparsity().keySet()),
                    "sparsity lists the weights only");
        }
    }

    @Test
    void biasCThresholdsThemToo() {
        try (NDManager manager = NDManager.newBaseManager()) {
            SequentialBlock block = initialized(manager);
            SparsestepOptimizer grda = SparsestepOptimizer.grda().setBlock(block).setLearningRateTracker(Tracker.fixed(LR))
                    .optC(100).optBiasC(100).build();
            int stepped = 0;
            for (Stepped s : stepAll(manager, block, grda)) {
                for (float v : s.parameter().getArray().toFloatArray()) assertEquals(0, Float.floatToRawIntBits(v), s.name());
                stepped++;
            }
            assertEquals(6, stepped);
        }
    }

    @Test
    void anIdTheBlockDoesNotHoldIsRefused() {
        try (NDManager manager = NDManager.newBaseManager()) {
            SequentialBlock block = initialized(manager);
            SparsestepOptimizer grda = SparsestepOptimizer.grda().setBlock(block).setLearningRateTracker(Tracker.fixed(LR)).build();
            NDArray w = manager.zeros(new Shape(3));
            IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                    () -> grda.update("not-an-id", w, w));
            assertTrue(e.getMessage().contains("not-an-id") && e.getMessage().contains("setBlock(model.getBlock())"), e.getMessage());
        }
    }

    /** One parameter after one update: its name, the parameter, its values before and the gradient it got. */
    private record Stepped(String name, Parameter parameter, float[] before, float[] grad) {}

    private static List<Stepped> stepAll(NDManager manager, SequentialBlock block, SparsestepOptimizer grda) {
        List<Stepped> out = new ArrayList<>();
        SplittableRandom rng = new SplittableRandom(7);
        for (Pair<String, Parameter> p : block.getParameters()) {
            if (!p.getValue().requiresGradient()) continue; // the running statistics: DJL never updates them with an optimizer
            NDArray w = p.getValue().getArray();
            float[] before = w.toFloatArray();
            float[] g = new float[before.length];
            for (int i = 0; i < g.length; i++) g[i] = (float) rng.nextGaussian();
            grda.update(p.getValue().getId(), w, manager.create(g, w.getShape()));
            assertNotEquals(0, before.length);
            out.add(new Stepped(p.getKey(), p.getValue(), before, g));
        }
        return out;
    }

    private static SequentialBlock initialized(NDManager manager) {
        SequentialBlock block = Mlps.withBatchNorm(16, 4);
        block.initialize(manager, DataType.FLOAT32, new Shape(2, 8));
        return block;
    }
}
