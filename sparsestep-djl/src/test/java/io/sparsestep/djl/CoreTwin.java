package io.sparsestep.djl;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;
import io.sparsestep.backend.cpu.CpuBackend;
import io.sparsestep.optim.Optimizer;
import io.sparsestep.params.ParamGroup;
import io.sparsestep.params.ParamLayout;
import io.sparsestep.params.ParamSpace;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

/**
 * A DJL block's trainable parameters copied into a core {@link ParamSpace} of their own
 * (parameters of type WEIGHT in the weights group, the rest in bias_and_norm, each in the
 * block's order): the core's optimizer steps the copy, the adapter steps DJL's arrays, with
 * the same gradients, and the two are compared bit for bit.
 */
final class CoreTwin implements AutoCloseable {
    private final CpuBackend backend = new CpuBackend(1);
    private final List<Pair<String, Parameter>> trained = new ArrayList<>();
    private final ParamSpace space;

    /** The twin of {@code block} (initialized), holding its values now. */
    CoreTwin(Block block) {
        List<ParamLayout.Declared> declared = new ArrayList<>();
        for (Pair<String, Parameter> p : block.getParameters()) {
            if (!p.getValue().requiresGradient()) continue; // batch norm's running statistics: no optimizer touches them
            trained.add(p);
            long[] dims = p.getValue().getArray().getShape().getShape();
            int[] shape = new int[dims.length];
            for (int i = 0; i < dims.length; i++) shape[i] = Math.toIntExact(dims[i]);
            declared.add(new ParamLayout.Declared(p.getKey(), shape,
                    p.getValue().getType() == Parameter.Type.WEIGHT ? ParamGroup.WEIGHTS : ParamGroup.BIAS_AND_NORM));
        }
        space = ParamSpace.allocate(backend, ParamLayout.of(declared));
        for (Pair<String, Parameter> p : trained) put(space.values().of(p.getKey()), p.getValue().getArray().toFloatArray());
    }

    ParamSpace space() { return space; }

    /**
     * One step of both: a seeded gradient per parameter (Gaussian times {@code scale}) goes to
     * the twin's gradients and, in the order {@code order} gives the block's trained
     * parameters, to {@code djl.update}; then {@code core} steps.
     */
    void step(NDManager manager, SparsestepOptimizer djl, Optimizer core, long seed, float scale,
              Function<List<Pair<String, Parameter>>, List<Pair<String, Parameter>>> order) {
        SplittableRandom rng = new SplittableRandom(seed);
        List<float[]> grads = new ArrayList<>();
        for (Pair<String, Parameter> p : trained) {
            float[] g = new float[Math.toIntExact(p.getValue().getArray().size())];
            for (int i = 0; i < g.length; i++) g[i] = (float) rng.nextGaussian() * scale;
            grads.add(g);
            put(space.grads().of(p.getKey()), g);
        }
        for (Pair<String, Parameter> p : order.apply(List.copyOf(trained))) {
            NDArray w = p.getValue().getArray();
            try (NDArray g = manager.create(grads.get(trained.indexOf(p)), w.getShape())) {
                djl.update(p.getValue().getId(), w, g);
            }
        }
        core.step(1.0);
    }

    /** Every trained parameter of the block holds the twin's values, bit for bit. */
    void assertSameBits(String when) {
        for (Pair<String, Parameter> p : trained) {
            assertArrayEquals(bits(values(p.getKey())), bits(p.getValue().getArray().toFloatArray()), when + ": " + p.getKey());
        }
    }

    /** The twin's values of one parameter. */
    float[] values(String name) {
        try (Arena arena = Arena.ofConfined()) {
            var t = space.values().of(name);
            MemorySegment host = arena.allocate(t.byteSize(), 64);
            backend.download(t, host);
            return host.toArray(ValueLayout.JAVA_FLOAT);
        }
    }

    private void put(io.sparsestep.backend.Tensor t, float[] values) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment host = arena.allocate(t.byteSize(), 64);
            MemorySegment.copy(values, 0, host, ValueLayout.JAVA_FLOAT, 0, values.length);
            backend.upload(host, t);
        }
    }

    static int[] bits(float[] values) {
        int[] out = new int[values.length];
        for (int i = 0; i < values.length; i++) out[i] = Float.floatToRawIntBits(values[i]);
        return out;
    }

    @Override
    public void close() {
        space.close();
        backend.close();
    }
}
