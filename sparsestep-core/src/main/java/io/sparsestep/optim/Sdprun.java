package io.sparsestep.optim;

import io.sparsestep.backend.Backend;
import io.sparsestep.backend.Buffer;
import io.sparsestep.backend.GroupGeometry;
import io.sparsestep.backend.GroupGeometry.Grouping;
import io.sparsestep.backend.GroupOps.Norm;
import io.sparsestep.backend.Tensor;
import io.sparsestep.params.ParamBuffer;
import io.sparsestep.params.ParamEntry;
import io.sparsestep.params.ParamGroup;
import io.sparsestep.params.ParamSpace;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * sDprun, structured directional pruning (Li, Liu, Shao, Wang, Geng 2021), as ALGORITHMS.md
 * section 2 designs it (the paper's update, group definition and constant are not
 * published; these are our choices, [G]): gRDA's accumulator and threshold schedule
 * exactly ({@link Grda}: acc starts at the initial weights, {@code acc -= lr*g}, tau per
 * parameter group grows by {@code c * lr^(0.5+mu) * (n^mu - (n-1)^mu)}), with the
 * elementwise soft threshold of the weights replaced by a group one:
 * {@code w_G = acc_G * max(0, 1 - lambda_G * tau / ||acc_G||)}. A pure shrink: each group
 * keeps its direction, and a group whose accumulator norm stays below
 * {@code lambda_G * tau} is exactly zero, so whole filters go.
 *
 * <p>Groups, per weight tensor: a conv weight [O, I, kh, kw] by output filters
 * {@code W[o, :, :, :]} (the default, which makes output channels removable) or by input
 * channels {@code W[:, i, :, :]}; a linear weight [O, I] always by rows {@code W[o, :]}
 * (its output units); a 1-d weight element by element. {@code lambda_G = sqrt(|G|)} (the
 * group-lasso convention: a group is zeroed when the RMS of its accumulator is below tau,
 * as gRDA zeroes an element below tau) or 1. A group of one element with either lambda is
 * gRDA's soft threshold bit for bit. Biases and batch norm (the other parameter group) are
 * stepped by gRDA's elementwise rule with their own c (0 by default: plain SGD), as gRDA
 * treats them.
 *
 * <p>One fused op per weight tensor ({@code GroupOps.sdprun}: one launch, the accumulate
 * and the group sums of squares, then the shrink), one gRDA step for the biases. State: the
 * accumulator, one buffer like the parameters (the same as gRDA and SGD with momentum), and
 * gRDA's scalars. With {@code c = 0} the thresholds stay 0 and the weights are the
 * accumulator: plain SGD without momentum, bit for bit (as for gRDA, a -0.0 or an all-zero
 * group is written +0.0).
 */
public final class Sdprun implements Optimizer {
    /** lambda_G, the group threshold's scale. */
    public enum Lambda {
        /** sqrt(|G|): the group-lasso convention. */
        SQRT("sqrt"),
        /** 1: the same threshold for every group, whatever its size. */
        ONE("1");

        private final String id;

        Lambda(String id) { this.id = id; }

        /** The name on the command line ({@code --group-lambda sqrt}). */
        public String id() { return id; }

        /** lambda_G of a group of {@code groupSize} elements. */
        public double of(int groupSize) { return this == SQRT ? Math.sqrt(groupSize) : 1.0; }

        public static Lambda of(String id) {
            for (Lambda l : values()) if (l.id.equals(id)) return l;
            throw new IllegalArgumentException("lambda must be sqrt or 1, got '" + id + "'");
        }
    }

    /** The whole groups of one weight tensor and how many of them are exactly zero (see {@link #zeroGroups()}). */
    public record GroupCount(String tensor, Grouping grouping, int groups, int zero, int groupSize) {}

    /** One weight tensor's views and its threshold scale. */
    private record Layer(ParamEntry entry, GroupGeometry geo, Tensor w, Tensor g, Tensor acc, double lambda, Tensor norms) {}

    private final Backend be;
    private final Map<ParamGroup, Grda.Settings> settings;
    private final Grouping grouping;
    private final Lambda lambda;
    private final ParamBuffer acc;
    private final Buffer zeroCounter;
    private final Buffer groupNorms;
    private final Tensor counter;
    private final List<Layer> layers = new ArrayList<>();
    private final ParamGroup[] groups;
    private final Tensor[] w, g, a;
    private final GrdaSchedule schedule;

    private Sdprun(ParamSpace space, Map<ParamGroup, Grda.Settings> settings, Grouping grouping, Lambda lambda) {
        this.be = space.backend();
        this.settings = settings;
        this.grouping = grouping;
        this.lambda = lambda;
        List<GroupGeometry> geos = new ArrayList<>();
        int totalGroups = 0;
        for (ParamEntry e : space.layout().entries()) {
            if (e.group() != ParamGroup.WEIGHTS) continue;
            GroupGeometry geo = geometry(e.shape(), grouping);
            geos.add(geo);
            totalGroups += geo.groups();
        }
        this.acc = space.allocateLike("sdprun.acc");
        Buffer counterWord = null, norms = null;
        try {
            counterWord = be.allocate(1, "sdprun.zeros");
            norms = be.allocate(Math.max(1, totalGroups), "sdprun.group-norms");
        } catch (RuntimeException ex) {
            // a failed optimizer must not keep memory on a backend that others share
            if (counterWord != null) counterWord.close();
            acc.close();
            throw ex;
        }
        this.zeroCounter = counterWord;
        this.groupNorms = norms;
        this.counter = new Tensor(zeroCounter, 0, 1);
        acc.copyFrom(space.values()); // the accumulator starts at the initial weights, as gRDA's
        int at = 0, next = 0;
        for (ParamEntry e : space.layout().entries()) {
            if (e.group() != ParamGroup.WEIGHTS) continue;
            GroupGeometry geo = geos.get(at++);
            Tensor flat = new Tensor(groupNorms, next, geo.groups());
            next += geo.groups();
            layers.add(new Layer(e, geo, flatView(space.values(), e), flatView(space.grads(), e), flatView(acc, e),
                    lambda.of(geo.groupSize()), flat));
        }
        this.groups = space.layout().nonEmptyGroups().toArray(ParamGroup[]::new);
        this.w = new Tensor[groups.length];
        this.g = new Tensor[groups.length];
        this.a = new Tensor[groups.length];
        for (int i = 0; i < groups.length; i++) {
            w[i] = space.values().group(groups[i]);
            g[i] = space.grads().group(groups[i]);
            a[i] = acc.group(groups[i]);
        }
        this.schedule = new GrdaSchedule("sDprun", space.layout().nonEmptyGroups());
    }

    /**
     * The groups of a weight of this shape: a conv weight (rank >= 3) by {@code grouping};
     * a linear weight (rank 2) by rows whatever {@code grouping} says (its rows are its
     * output units); a 1-d weight element by element.
     */
    public static GroupGeometry geometry(int[] shape, Grouping grouping) {
        return GroupGeometry.of(shape, shape.length >= 3 ? grouping : Grouping.FILTERS);
    }

    private static Tensor flatView(ParamBuffer b, ParamEntry e) {
        return new Tensor(b.buffer(), e.offset(), Math.toIntExact(e.size()));
    }

    public static Builder builder() { return new Builder(); }

    @Override
    public void step(double lrFactor) {
        schedule.advance();
        be.elementwise().fill(counter, 0f);
        for (int i = 0; i < groups.length; i++) {
            Grda.Settings s = settings.get(groups[i]);
            double lr = s.lr() * lrFactor;
            double tau = schedule.grow(i, s, lr);
            if (groups[i] != ParamGroup.WEIGHTS) {
                be.steps().grda(w[i], g[i], a[i], (float) lr, (float) tau, null);
                continue;
            }
            // one fused pass per weight tensor; the zero count covers the prunable group, as gRDA's
            for (Layer l : layers) be.groups().sdprun(l.geo, l.w, l.g, l.acc, (float) lr, (float) (l.lambda * tau), null, counter);
        }
    }

    /** Zeros written into the prunable weights by the last step (waits for the backend). */
    @Override
    public long lastStepZeros() { return be.readCounter(counter); }

    /**
     * Per weight tensor, how many of its groups (by this optimizer's grouping) are exactly
     * zero in the current weights: the structured sparsity, which the per-element figures
     * (exact zeros among conv/linear weights) do not show. A group counts when its L1 norm is
     * 0, i.e. all of its weights are. Waits for the backend.
     */
    public List<GroupCount> zeroGroups() {
        for (Layer l : layers) be.groups().norms(l.geo, Norm.L1, l.w, l.norms);
        float[] norms;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment host = arena.allocate(4 * groupNorms.words(), 16);
            be.download(new Tensor(groupNorms, 0, Math.toIntExact(groupNorms.words())), host);
            norms = host.toArray(ValueLayout.JAVA_FLOAT);
        }
        List<GroupCount> out = new ArrayList<>();
        int at = 0;
        for (Layer l : layers) {
            int zero = 0;
            for (int i = 0; i < l.geo.groups(); i++) if (norms[at + i] == 0f) zero++;
            at += l.geo.groups();
            out.add(new GroupCount(l.entry.name(), l.geo.grouping(), l.geo.groups(), zero, l.geo.groupSize()));
        }
        return out;
    }

    /** Current threshold tau of a parameter group (a weight group's threshold is lambda_G times it). */
    public double tau(ParamGroup group) { return schedule.tau(group); }

    public long steps() { return schedule.steps(); }

    public Grouping grouping() { return grouping; }

    public Lambda lambda() { return lambda; }

    @Override
    public OptimizerState state() { return new OptimizerState(Map.of("acc", acc), schedule.scalars()); }

    @Override
    public void restoreScalars(Map<String, Double> scalars) { schedule.restore(scalars); }

    @Override
    public String name() { return "sdprun"; }

    /** The accumulator, 4 bytes per parameter as gRDA's; the 4 bytes per group the group report reads into are scratch. */
    @Override
    public long stateBytes() { return 4 * acc.buffer().words(); }

    @Override
    public Map<String, Object> hyperparameters() {
        Map<String, Object> out = Grda.Settings.perGroup(settings);
        out.put("groups", grouping.id());
        out.put("group_lambda", lambda.id());
        return out;
    }

    @Override
    public void close() {
        acc.close();
        zeroCounter.close();
        groupNorms.close();
    }

    /** Settings for all parameter groups (gRDA's, with its rules), overrides per group, the grouping and lambda. */
    public static final class Builder {
        private final GroupSettings<Grda.Settings> groups = new GroupSettings<>(new Grda.Settings(0.1, 0.01, 0.6));
        private Grouping grouping = Grouping.FILTERS;
        private Lambda lambda = Lambda.SQRT;

        public Builder lr(double lr) { groups.all(s -> s.withLr(lr)); return this; }
        public Builder c(double c) { groups.all(s -> s.withC(c)); return this; }
        public Builder mu(double mu) { groups.all(s -> s.withMu(mu)); return this; }

        /** Overrides for one parameter group, e.g. {@code group(BIAS_AND_NORM, s -> s.withC(0))}. */
        public Builder group(ParamGroup g, UnaryOperator<Grda.Settings> change) { groups.group(g, change); return this; }

        /** How conv weights are grouped: filters (default) or channels; kernels is not a sDprun grouping. */
        public Builder grouping(Grouping g) {
            if (g == null || g == Grouping.KERNELS) throw new IllegalArgumentException("sDprun groups conv weights by filters or channels, got " + g);
            this.grouping = g;
            return this;
        }

        public Builder lambda(Lambda l) {
            if (l == null) throw new IllegalArgumentException("sDprun lambda must be sqrt or 1, got null");
            this.lambda = l;
            return this;
        }

        public Sdprun build(ParamSpace space) { return new Sdprun(space, groups.snapshot(), grouping, lambda); }
    }
}
