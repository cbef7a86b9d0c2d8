package io.sparsestep.optim;

import io.sparsestep.params.ParamGroup;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * gRDA's threshold schedule (ALGORITHMS.md 1.1), shared by gRDA and sDprun: a step count n
 * and one threshold per parameter group, each step growing by
 * {@code c * lr^(0.5+mu) * (n^mu - (n-1)^mu)} with that group's current lr, kept in double
 * on the host. Also the scalars a checkpoint holds ({@code step}, {@code tau.<group>}).
 */
final class GrdaSchedule {
    private final String owner;
    private final ParamGroup[] groups;
    private final double[] tau;
    private long step;

    /** {@code owner} names the optimizer in errors ("gRDA state: ..."). */
    GrdaSchedule(String owner, List<ParamGroup> groups) {
        this.owner = owner;
        this.groups = groups.toArray(ParamGroup[]::new);
        this.tau = new double[this.groups.length];
    }

    /** Starts step n + 1. */
    void advance() { step++; }

    /** Adds the current step's increment to group i's threshold at learning rate lr; returns the new threshold. */
    double grow(int i, Grda.Settings s, double lr) {
        tau[i] += Grda.tauIncrement(s.c(), s.mu(), lr, step);
        return tau[i];
    }

    /** Current threshold of a group (0 for a group without parameters). */
    double tau(ParamGroup group) {
        for (int i = 0; i < groups.length; i++) if (groups[i] == group) return tau[i];
        return 0;
    }

    long steps() { return step; }

    Map<String, Double> scalars() {
        Map<String, Double> scalars = new LinkedHashMap<>();
        scalars.put("step", (double) step);
        for (int i = 0; i < groups.length; i++) scalars.put("tau." + groups[i].id(), tau[i]);
        return scalars;
    }

    /** Puts back {@link #scalars()}; nothing changes unless every one of them is present and valid. */
    void restore(Map<String, Double> scalars) {
        double s = StateScalars.require(scalars, "step", owner);
        if (s < 0 || s != Math.rint(s)) throw new IllegalArgumentException(owner + " state: step must be a whole number >= 0, got " + s);
        double[] restored = new double[groups.length];
        for (int i = 0; i < groups.length; i++) {
            restored[i] = StateScalars.require(scalars, "tau." + groups[i].id(), owner);
            if (restored[i] < 0) throw new IllegalArgumentException(owner + " state: tau." + groups[i].id() + " must be >= 0");
        }
        step = (long) s;
        System.arraycopy(restored, 0, tau, 0, tau.length);
    }
}
