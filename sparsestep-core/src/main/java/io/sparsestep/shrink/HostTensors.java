package io.sparsestep.shrink;

import io.sparsestep.nn.Network;
import io.sparsestep.nn.Param;
import io.sparsestep.nn.StateTensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.LinkedHashMap;
import java.util.Map;

/** A built network's parameters and running statistics as named host tensors, out and back in (names and shapes as in weights.safetensors). */
public final class HostTensors {
    private HostTensors() {}

    /** Every parameter, then every running statistic, downloaded. */
    public static LinkedHashMap<String, HostTensor> of(Network net) {
        LinkedHashMap<String, HostTensor> out = new LinkedHashMap<>();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment params = net.downloadAll(net.memory().params(), arena);
            MemorySegment states = net.downloadAll(net.memory().states(), arena);
            for (Param p : net.params()) out.put(p.name(), new HostTensor(p.shape(), floats(params, p.value().get().offset(), p.size())));
            for (StateTensor s : net.memory().stateList()) {
                out.put(s.name(), new HostTensor(new int[] {s.size()}, floats(states, s.value().get().offset(), s.size())));
            }
        }
        return out;
    }

    /** Uploads {@code tensors} into {@code net}; every tensor it has must be there with its shape (the caller checked them). */
    public static void load(Network net, Map<String, HostTensor> tensors) {
        try (Arena arena = Arena.ofConfined()) {
            for (Param p : net.params()) net.backend().upload(segment(arena, tensor(tensors, p.name(), p.shape())), p.value().get());
            for (StateTensor s : net.memory().stateList()) {
                net.backend().upload(segment(arena, tensor(tensors, s.name(), new int[] {s.size()})), s.value().get());
            }
            net.backend().synchronize();
        }
    }

    private static float[] tensor(Map<String, HostTensor> tensors, String name, int[] shape) {
        HostTensor t = tensors.get(name);
        if (t == null || !java.util.Arrays.equals(t.shape(), shape)) {
            throw new IllegalArgumentException("no tensor '" + name + "' of shape " + java.util.Arrays.toString(shape) + " to load (got " + t + ")");
        }
        return t.values();
    }

    private static float[] floats(MemorySegment all, long offsetWords, long words) {
        return all.asSlice(4 * offsetWords, 4 * words).toArray(ValueLayout.JAVA_FLOAT);
    }

    private static MemorySegment segment(Arena arena, float[] v) {
        MemorySegment m = arena.allocate(4L * v.length, 64);
        MemorySegment.copy(v, 0, m, ValueLayout.JAVA_FLOAT, 0, v.length);
        return m;
    }
}
