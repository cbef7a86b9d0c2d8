package io.sparsestep.shrink;

import io.sparsestep.backend.Backend;
import io.sparsestep.nn.Architecture;
import io.sparsestep.nn.ModelGraph;
import io.sparsestep.nn.Models;
import io.sparsestep.nn.Network;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/** Networks with random weights and running statistics as host tensors, and their evaluation-mode logits. */
final class ShrinkFixtures {
    private ShrinkFixtures() {}

    static ModelGraph graph(Architecture a, int[] input, int classes) {
        return ModelGraph.of(Models.create(a, input, classes), input);
    }

    /**
     * Every tensor of {@code g} drawn from {@code seed}: weights N(0, 2/fan-in), biases N(0, 0.1),
     * batch-norm scale U(0.5, 1.5) and shift N(0, 0.2), running mean N(0, 0.2) and variance
     * U(0.5, 2), so evaluation mode is not the identity anywhere.
     */
    static LinkedHashMap<String, HostTensor> random(ModelGraph g, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        Map<String, HostTensor> made = new java.util.HashMap<>();
        for (ModelGraph.Op op : g.ops()) {
            if (op instanceof ModelGraph.Weighted w) {
                int[] shape = w.weightShape();
                double std = Math.sqrt(2.0 / (size(shape) / shape[0]));
                made.put(w.name() + ".weight", draw(shape, () -> std * gaussian(r)));
                if (w.bias()) made.put(w.name() + ".bias", draw(new int[] {w.outWidth()}, () -> 0.1 * gaussian(r)));
            } else if (op instanceof ModelGraph.Norm n) {
                int[] c = {n.channels()};
                made.put(n.name() + ".weight", draw(c, () -> 0.5 + r.nextDouble()));
                made.put(n.name() + ".bias", draw(c, () -> 0.2 * gaussian(r)));
                made.put(n.name() + ".running_mean", draw(c, () -> 0.2 * gaussian(r)));
                made.put(n.name() + ".running_var", draw(c, () -> 0.5 + 1.5 * r.nextDouble()));
            }
        }
        LinkedHashMap<String, HostTensor> out = new LinkedHashMap<>();
        for (ModelGraph.TensorSpec s : g.parameters()) out.put(s.name(), made.get(s.name()));
        for (ModelGraph.TensorSpec s : g.states()) out.put(s.name(), made.get(s.name()));
        return out;
    }

    /** {@link #random(ModelGraph, long)} of {@code a}'s graph, 10 classes. */
    static LinkedHashMap<String, HostTensor> random(Architecture a, int[] input, long seed) {
        return random(graph(a, input, 10), seed);
    }

    private static HostTensor draw(int[] shape, java.util.function.DoubleSupplier value) {
        float[] v = new float[size(shape)];
        for (int i = 0; i < v.length; i++) v[i] = (float) value.getAsDouble();
        return new HostTensor(shape, v);
    }

    private static int size(int[] shape) {
        int n = 1;
        for (int d : shape) n *= d;
        return n;
    }

    private static double gaussian(SplittableRandom r) {
        // Box-Muller on two uniforms: a plain, seeded normal
        return Math.sqrt(-2 * Math.log(1 - r.nextDouble())) * Math.cos(2 * Math.PI * r.nextDouble());
    }

    /** Images drawn from {@code seed}, uniform in [-1, 1). */
    static float[] images(int n, int[] input, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] x = new float[n * input[0] * input[1] * input[2]];
        for (int i = 0; i < x.length; i++) x[i] = (float) (2 * r.nextDouble() - 1);
        return x;
    }

    /** Logits [n, classes] of {@code arch} with {@code tensors} on {@code images}, in evaluation mode. */
    static float[] logits(Backend be, Architecture arch, Map<String, HostTensor> tensors, int[] input, int classes, float[] images, int n) {
        try (Network net = Network.build(arch.model(), be, Models.create(arch, input, classes), input, classes, n, 1);
             Arena arena = Arena.ofConfined()) {
            HostTensors.load(net, tensors);
            be.upload(segment(arena, images), net.input(n));
            MemorySegment out = arena.allocate(4L * n * classes, 64);
            be.download(net.forward(n, false), out);
            return out.toArray(ValueLayout.JAVA_FLOAT);
        }
    }

    private static MemorySegment segment(Arena arena, float[] v) {
        MemorySegment m = arena.allocate(4L * v.length, 64);
        MemorySegment.copy(v, 0, m, ValueLayout.JAVA_FLOAT, 0, v.length);
        return m;
    }

    /** Sets every value of filter (row) {@code c} of layer {@code name}'s weight to zero. */
    static void zeroFilter(Map<String, HostTensor> t, String name, int c) {
        HostTensor w = t.get(name + ".weight");
        int row = w.values().length / w.shape()[0];
        java.util.Arrays.fill(w.values(), c * row, (c + 1) * row, 0f);
    }

    static void set(Map<String, HostTensor> t, String tensor, int c, float value) {
        t.get(tensor).values()[c] = value;
    }
}
