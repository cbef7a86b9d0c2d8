package io.sparsestep.optim;

import io.sparsestep.backend.Backend;
import io.sparsestep.backend.Buffer;
import io.sparsestep.backend.Tensor;
import io.sparsestep.nn.FlatMemory;
import io.sparsestep.nn.Init;
import io.sparsestep.params.ParamGroup;
import io.sparsestep.nn.Planner;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;

/** Flat parameter memory with one weight tensor and one bias tensor, for optimizer tests. */
final class FlatFixture implements AutoCloseable {
    final Backend be;
    final FlatMemory mem;
    final Arena arena = Arena.ofConfined();

    FlatFixture(Backend be, int weights, int biases, long seed) {
        this.be = be;
        Planner p = new Planner(be, 1);
        p.param("w", new int[]{weights}, ParamGroup.WEIGHTS, Init.KAIMING_NORMAL, 2);
        p.param("b", new int[]{biases}, ParamGroup.BIAS_AND_NORM, Init.KAIMING_NORMAL, 2);
        this.mem = new FlatMemory(p, seed);
    }

    static Tensor all(Buffer b) { return new Tensor(b, 0, Math.toIntExact(b.words())); }

    float[] read(Buffer b) {
        MemorySegment host = arena.allocate(4 * b.words(), 64);
        be.download(all(b), host);
        return host.toArray(ValueLayout.JAVA_FLOAT);
    }

    void write(Buffer b, float[] values) {
        MemorySegment host = arena.allocate(4L * values.length, 64);
        MemorySegment.copy(values, 0, host, ValueLayout.JAVA_FLOAT, 0, values.length);
        be.upload(host, all(b));
    }

    /** Writes N(0,1) gradients into every word of the gradient buffer (padding too) and returns them. */
    float[] writeRandomGrads(Random r) {
        float[] g = new float[Math.toIntExact(mem.grads().words())];
        for (int i = 0; i < g.length; i++) g[i] = (float) r.nextGaussian();
        write(mem.grads(), g);
        return g;
    }

    /** First index of a group's range in the parameter buffer. */
    int from(ParamGroup g) { return Math.toIntExact(mem.groupRange(g)[0]); }

    /** One past the last index of a group's range. */
    int to(ParamGroup g) {
        long[] r = mem.groupRange(g);
        return Math.toIntExact(r[0] + r[1]);
    }

    /** Indices of the parameter buffer that belong to a group. */
    boolean inGroup(ParamGroup g, long i) {
        long[] r = mem.groupRange(g);
        return i >= r[0] && i < r[0] + r[1];
    }

    @Override
    public void close() {
        mem.close();
        arena.close();
    }
}
