package io.sparsestep.djl;

import io.sparsestep.backend.GroupGeometry;
import io.sparsestep.backend.GroupGeometry.Grouping;
import io.sparsestep.backend.GroupOps;
import io.sparsestep.optim.Grda;
import io.sparsestep.optim.Sdprun;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;

/**
 * sDprun (ALGORITHMS.md 2, the core's {@link Sdprun}): gRDA's accumulator and threshold
 * schedule per tensor ({@code acc} starts at the weights, {@code tau += Grda.tauIncrement(c,
 * mu, lr, n)} in double), with a group soft threshold on the weights,
 * {@code w_G = acc_G * max(0, 1 - lambda_G * tau / ||acc_G||)}, run by the core's fused
 * {@code GroupOps.sdprun}. Groups as the core's {@link Sdprun#geometry}: a conv weight
 * [O, I, kh, kw] by output filters (default) or input channels, a linear weight [O, I] (DJL's
 * Linear layout) by rows, a 1-d weight element by element; {@code lambda_G} sqrt(|G|) or 1.
 * Biases and norm parameters take gRDA's elementwise step with {@code biasC} (0: plain SGD).
 */
final class SdprunRule implements StepRule {
    private final double c, mu, biasC;
    /** gRDA with the same settings: the accumulator's start and the elementwise step of biases and norms. */
    private final GrdaRule elementwise;
    private final Grouping grouping;
    private final Sdprun.Lambda lambda;
    private final CoreOps ops;

    SdprunRule(double c, double mu, double biasC, Grouping grouping, Sdprun.Lambda lambda, CoreOps ops) {
        this.elementwise = new GrdaRule(c, mu, biasC); // checks c, mu and bias c by the core's rules
        Sdprun.builder().grouping(grouping).lambda(lambda);
        this.c = c;
        this.mu = mu;
        this.biasC = biasC;
        this.grouping = grouping;
        this.lambda = lambda;
        this.ops = ops;
    }

    @Override
    public String describe() {
        return "sDprun c=" + c + " mu=" + mu + " bias c=" + biasC + " groups=" + grouping.id() + " lambda=" + lambda.id();
    }

    @Override
    public int bufferCount() { return elementwise.bufferCount(); }

    @Override
    public void start(StepState state, MemorySegment w) { elementwise.start(state, w); }

    @Override
    public void step(StepViews v, StepState state, float lr, long[] shape, boolean prunable) {
        if (!prunable) {
            elementwise.step(v, state, lr, shape, false);
            return;
        }
        GroupGeometry geo = geometry(shape);
        state.tau += Grda.tauIncrement(c, mu, lr, state.steps);
        ops.backend().groups().sdprun(geo, v.weight().tensor(), v.gradient().tensor(), v.buffer(0), lr,
                (float) (lambda.of(geo.groupSize()) * state.tau), null, null);
    }

    /** Each weight must form sDprun's groups (the core's {@link Sdprun#geometry} of its shape). */
    @Override
    public void checkWeights(List<ParameterRoles.Role> trainable) {
        for (ParameterRoles.Role r : trainable) {
            try {
                geometry(r.parameter().getArray().getShape().getShape());
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(r.name() + ": " + e.getMessage(), e);
            }
        }
    }

    /** The groups of a weight of this shape, as the core's sDprun forms them. */
    GroupGeometry geometry(long[] shape) {
        int[] dims = new int[shape.length];
        for (int i = 0; i < shape.length; i++) dims[i] = Math.toIntExact(shape[i]);
        return Sdprun.geometry(dims, grouping);
    }

    /** How many groups of the weight {@code w} (of this shape) are exactly zero: an L1 norm of 0, as the core's report counts. */
    Sdprun.GroupCount zeroGroups(String name, MemorySegment w, long[] shape) {
        GroupGeometry geo = geometry(shape);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment norms = arena.allocate((long) geo.groups() * Float.BYTES, 64);
            ops.backend().groups().norms(geo, GroupOps.Norm.L1, ops.floats(w, name), ops.floats(norms, name + " group norms"));
            int zero = 0;
            for (int i = 0; i < geo.groups(); i++) if (norms.getAtIndex(ValueLayout.JAVA_FLOAT, i) == 0f) zero++;
            return new Sdprun.GroupCount(name, geo.grouping(), geo.groups(), zero, geo.groupSize());
        }
    }
}
