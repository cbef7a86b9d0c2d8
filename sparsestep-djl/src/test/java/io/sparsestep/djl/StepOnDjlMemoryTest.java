package io.sparsestep.djl;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.Linear;
import ai.djl.training.tracker.Tracker;
import io.sparsestep.backend.cpu.CpuFusedSteps;
import io.sparsestep.optim.Grda;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The adapter's step on DJL's own memory is the core's fused step on a plain copy, bit for
 * bit: gRDA and SGD with momentum, three steps each (SGD's first step differs), on a weight
 * of 37 x 53 = 1961 floats (an odd size, so the vector loop and the scalar tail both run).
 * And a non-contiguous array goes through the copy path to the same bits.
 */
class StepOnDjlMemoryTest {
    private static final int OUT = 37, IN = 53, N = OUT * IN, STEPS = 3;
    private static final float LR = 0.1f;
    private static final double C = 0.5, MU = 0.6;
    private static final float MOMENTUM = 0.9f, WEIGHT_DECAY = 5e-4f;

    @Test
    void grdaOnDjlMemoryEqualsTheCoreStepOnACopy() {
        try (NDManager manager = NDManager.newBaseManager(); Arena arena = Arena.ofConfined()) {
            Linear block = linear(manager);
            Parameter weight = block.getParameters().get("weight");
            NDArray w = weight.getArray();
            SparsestepOptimizer grda = grda(block);
            MemorySegment djlMemory = HostFloats.view(w);
            MemorySegment wCopy = copy(arena, w.toFloatArray());
            MemorySegment accCopy = copy(arena, w.toFloatArray());
            double tau = 0;
            long zeros = 0;
            for (int step = 1; step <= STEPS; step++) {
                NDArray g = gradient(manager, step);
                MemorySegment gCopy = copy(arena, g.toFloatArray());
                grda.update(weight.getId(), w, g);
                tau += Grda.tauIncrement(C, MU, LR, step);
                zeros = CpuFusedSteps.grdaStep(wCopy, gCopy, accCopy, N, LR, (float) tau);
                assertArrayEquals(bits(wCopy.toArray(ValueLayout.JAVA_FLOAT)), bits(w.toFloatArray()), "step " + step);
            }
            assertTrue(zeros > N / 10 && zeros < N - N / 10, "the threshold is active but not total: " + zeros + " of " + N);
            // written where DJL keeps the tensor: the memory seen before the steps holds the new weights
            assertEquals(djlMemory.address(), HostFloats.view(w).address(), "the tensor's storage was not replaced");
            assertArrayEquals(bits(wCopy.toArray(ValueLayout.JAVA_FLOAT)), bits(djlMemory.toArray(ValueLayout.JAVA_FLOAT)));
            assertEquals(STEPS, grda.inPlaceUpdates());
            assertEquals(0, grda.copiedUpdates());
        }
    }

    @Test
    void sgdWithMomentumOnDjlMemoryEqualsTheCoreStepOnACopy() {
        try (NDManager manager = NDManager.newBaseManager(); Arena arena = Arena.ofConfined()) {
            Linear block = linear(manager);
            Parameter weight = block.getParameters().get("weight");
            NDArray w = weight.getArray();
            SparsestepOptimizer sgd = SparsestepOptimizer.fusedSgd().setBlock(block).setLearningRateTracker(Tracker.fixed(LR))
                    .optMomentum(MOMENTUM).optWeightDecay(WEIGHT_DECAY).build();
            MemorySegment wCopy = copy(arena, w.toFloatArray());
            MemorySegment momentumCopy = arena.allocate((long) N * Float.BYTES, 64);
            for (int step = 1; step <= STEPS; step++) {
                NDArray g = gradient(manager, step);
                MemorySegment gCopy = copy(arena, g.toFloatArray());
                sgd.update(weight.getId(), w, g);
                CpuFusedSteps.sgdStep(wCopy, gCopy, momentumCopy, N, LR, MOMENTUM, 0f, WEIGHT_DECAY, false, step == 1);
                assertArrayEquals(bits(wCopy.toArray(ValueLayout.JAVA_FLOAT)), bits(w.toFloatArray()), "step " + step);
            }
            assertEquals(STEPS, sgd.inPlaceUpdates());
        }
    }

    @Test
    void aNonContiguousArrayTakesTheCopyPathToTheSameBits() {
        try (NDManager manager = NDManager.newBaseManager()) {
            Linear block = linear(manager);
            Parameter weight = block.getParameters().get("weight");
            float[] start = weight.getArray().toFloatArray();
            SparsestepOptimizer direct = grda(block);
            SparsestepOptimizer copied = grda(block);
            NDArray contiguous = manager.create(start, new Shape(OUT, IN));
            float[] viaCopy = start;
            for (int step = 1; step <= STEPS; step++) {
                NDArray g = gradient(manager, step);
                direct.update(weight.getId(), contiguous, g);
                // the same values as a transposed view: toByteBuffer(true) of it is a copy, which the adapter must notice
                NDArray strided = transposedView(manager, viaCopy);
                NDArray stridedGrad = transposedView(manager, g.toFloatArray());
                assertEquals(null, HostFloats.view(strided), "a transposed view is no direct view of its data");
                copied.update(weight.getId(), strided, stridedGrad);
                viaCopy = strided.toFloatArray();
                assertArrayEquals(bits(contiguous.toFloatArray()), bits(viaCopy), "step " + step);
            }
            assertEquals(STEPS, direct.inPlaceUpdates());
            assertEquals(0, direct.copiedUpdates());
            assertEquals(STEPS, copied.copiedUpdates());
            assertEquals(0, copied.inPlaceUpdates());
        }
    }

    private static SparsestepOptimizer grda(Linear block) {
        return SparsestepOptimizer.grda().setBlock(block).setLearningRateTracker(Tracker.fixed(LR)).optC(C).optMu(MU).build();
    }

    private static Linear linear(NDManager manager) {
        Linear block = Linear.builder().setUnits(OUT).build();
        block.initialize(manager, DataType.FLOAT32, new Shape(1, IN));
        return block;
    }

    /** A reproducible gradient of step {@code step}, scaled so that thresholding bites. */
    private static NDArray gradient(NDManager manager, int step) {
        float[] g = new float[N];
        java.util.SplittableRandom rng = new java.util.SplittableRandom(step);
        for (int i = 0; i < N; i++) g[i] = (float) rng.nextGaussian() * 0.5f;
        return manager.create(g, new Shape(OUT, IN));
    }

    /** An OUT x IN array with {@code values} (row-major) whose memory is IN x OUT: non-contiguous. */
    private static NDArray transposedView(NDManager manager, float[] values) {
        float[] t = new float[N];
        for (int r = 0; r < OUT; r++) for (int c = 0; c < IN; c++) t[c * OUT + r] = values[r * IN + c];
        return manager.create(t, new Shape(IN, OUT)).transpose();
    }

    private static MemorySegment copy(Arena arena, float[] values) {
        MemorySegment s = arena.allocate((long) values.length * Float.BYTES, 64);
        MemorySegment.copy(values, 0, s, ValueLayout.JAVA_FLOAT, 0, values.length);
        return s;
    }

    private static int[] bits(float[] values) {
        int[] out = new int[values.length];
        for (int i = 0; i < values.length; i++) out[i] = Float.floatToRawIntBits(values[i]);
        return out;
    }
}
