package io.sparsestep.optim;

import io.sparsestep.backend.cpu.CpuBackend;
import io.sparsestep.params.ParamGroup;
import io.sparsestep.params.ParamLayout;
import io.sparsestep.params.ParamSpace;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** A parameter space of named weight tensors and one bias on the CPU, with host access by name, for the pruning methods' tests. */
final class PruningFixture implements AutoCloseable {
    final CpuBackend be;
    final ParamSpace space;

    /** Weight tensors of these sizes ("w0", "w1", ...) and a bias "b" of {@code biases} entries. */
    PruningFixture(int threads, int biases, int... weights) {
        this.be = new CpuBackend(threads);
        List<ParamLayout.Declared> d = new ArrayList<>();
        for (int i = 0; i < weights.length; i++) d.add(new ParamLayout.Declared("w" + i, new int[]{weights[i]}, ParamGroup.WEIGHTS));
        if (biases > 0) d.add(new ParamLayout.Declared("b", new int[]{biases}, ParamGroup.BIAS_AND_NORM));
        this.space = ParamSpace.allocate(be, ParamLayout.of(d));
    }

    void set(String name, float[] values) { be.upload(java.lang.foreign.MemorySegment.ofArray(values), space.values().of(name)); }

    void grad(String name, float[] values) { be.upload(java.lang.foreign.MemorySegment.ofArray(values), space.grads().of(name)); }

    float[] get(String name) {
        float[] out = new float[Math.toIntExact(space.layout().require(name).size())];
        be.download(space.values().of(name), java.lang.foreign.MemorySegment.ofArray(out));
        return out;
    }

    Optimizer build(String method, Map<String, String> options, TrainingPlan plan) {
        return Methods.parse(method, options).build(space, plan);
    }

    @Override
    public void close() {
        space.close();
        be.close();
    }
}
