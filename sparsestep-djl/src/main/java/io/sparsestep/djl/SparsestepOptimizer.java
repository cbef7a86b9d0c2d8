package io.sparsestep.djl;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Block;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.ParameterTracker;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.foreign.Arena;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A DJL {@link Optimizer} that runs sparsestep's fused CPU steps, gRDA (pruning while it
 * trains) or SGD with momentum, on DJL's own tensors:
 *
 * <pre>{@code
 * Optimizer grda = SparsestepOptimizer.grda()
 *         .setBlock(model.getBlock())                       // tells weights from biases and norms
 *         .setLearningRateTracker(Tracker.fixed(0.1f))
 *         .optC(0.01).optMu(0.6)                            // threshold scale and exponent
 *         .build();
 * DefaultTrainingConfig config = new DefaultTrainingConfig(Loss.softmaxCrossEntropyLoss()).optOptimizer(grda);
 * }</pre>
 *
 * <p>Each {@code update} steps one parameter in one pass: on a contiguous float32 CPU tensor
 * directly in DJL's memory (no copy), on any other (a GPU tensor, a non-contiguous one)
 * through a host copy that is written back, which is slower (see {@link HostFloats}). State
 * (gRDA's accumulator and threshold, SGD's momentum, the step counts) is kept per parameter
 * and device in native memory of its own. After the step the weight's gradient is set to
 * zero, as DJL's own optimizers do (the engine accumulates gradients otherwise).
 *
 * <p>DJL saves no optimizer state; {@link #saveState}/{@link #loadState} do, keyed by the
 * parameters' names in the block, so a run resumed into a fresh model and optimizer continues
 * bit for bit. The learning rate comes from the tracker, asked with this optimizer's own
 * update count (1-based, the largest count of any parameter, as DJL counts; restored by
 * {@code loadState}). DJL's base options (rescaleGrad, clipGrad, its weight decay, begin
 * count) are not offered: the rules carry their own.
 */
public final class SparsestepOptimizer extends Optimizer {
    private final ParameterRoles roles;
    private final ParameterTracker lrTracker;
    private final StepRule rule;
    private final Map<String, Map<Device, StepState>> states = new ConcurrentHashMap<>();
    private final AtomicLong inPlaceUpdates = new AtomicLong();
    private final AtomicLong copiedUpdates = new AtomicLong();
    private long numUpdate;

    private SparsestepOptimizer(Builder<?> builder, StepRule rule) {
        super(new BaseDefaults());
        this.roles = ParameterRoles.of(builder.block);
        this.lrTracker = builder.lrTracker;
        this.rule = rule;
    }

    /** A builder for gRDA (defaults: c 0.01, mu 0.6, bias c 0, sparsestep's own). */
    public static GrdaBuilder grda() { return new GrdaBuilder(); }

    /** A builder for SGD, sparsestep's fused step (named so, since DJL's Optimizer.sgd() is its own; defaults: momentum 0.9, dampening 0, weight decay 0, no Nesterov, sparsestep's own). */
    public static SgdBuilder fusedSgd() { return new SgdBuilder(); }

    @Override
    public synchronized void update(String parameterId, NDArray weight, NDArray grad) {
        ParameterRoles.Role role = roles.require(parameterId);
        requireFloat32(role, weight, "weight");
        requireFloat32(role, grad, "gradient");
        if (grad.size() != weight.size()) {
            throw new IllegalArgumentException(role.name() + ": gradient " + grad.getShape() + " does not match weight " + weight.getShape());
        }
        Map<Device, StepState> perDevice = states.get(parameterId);
        StepState known = perDevice == null ? null : perDevice.get(weight.getDevice());
        // a new state joins the map only once its first step runs, so a refused update leaves nothing behind
        StepState state = known != null ? known : new StepState(weight.size(), rule.bufferCount());
        if (state.size() != weight.size()) {
            throw new IllegalArgumentException(role.name() + " on " + weight.getDevice() + " has " + weight.size()
                    + " elements but its optimizer state " + state.size() + "; was the parameter reshaped?");
        }
        long step = state.steps + 1;
        long count = Math.max(numUpdate, step);
        float lr = lrTracker.getNewValue(parameterId, Math.toIntExact(count));
        if (!(lr > 0 && lr < Float.POSITIVE_INFINITY)) {
            throw new IllegalArgumentException("the learning rate tracker gave lr " + lr + " at update " + count + " of " + role.name()
                    + "; it must be finite and > 0");
        }
        try (Arena scratch = Arena.ofConfined()) {
            HostFloats w = HostFloats.of(weight, scratch);
            HostFloats g = HostFloats.of(grad, scratch);
            if (known == null) {
                rule.start(state, w.segment());
                states.computeIfAbsent(parameterId, k -> new ConcurrentHashMap<>()).put(weight.getDevice(), state);
            }
            state.steps = step;
            numUpdate = count;
            rule.step(w.segment(), g.segment(), state, lr, role.prunable());
            w.writeBack();
            (w.inPlace() ? inPlaceUpdates : copiedUpdates).incrementAndGet();
        }
        if (weight.hasGradient()) {
            try (NDArray gradient = weight.getGradient()) {
                HostFloats.zero(gradient);
            }
        }
    }

    /**
     * The share of exact zeros (+0.0 or -0.0; gRDA writes +0.0) in each prunable weight tensor
     * as the block holds it now, by the parameter's name in the block, in the block's order.
     * Biases and norm parameters are not listed.
     */
    public Map<String, Double> sparsity() {
        Map<String, Double> out = new LinkedHashMap<>();
        for (ParameterRoles.Role r : roles.prunable()) out.put(r.name(), WeightZeros.of(r).share());
        return out;
    }

    /** The share of exact zeros over all prunable weights together (conv/linear weights; no biases or norms). */
    public double overallSparsity() {
        long zeros = 0, size = 0;
        for (ParameterRoles.Role r : roles.prunable()) {
            WeightZeros z = WeightZeros.of(r);
            zeros += z.zeros();
            size += z.size();
        }
        return (double) zeros / size;
    }

    /** Updates that ran directly on DJL's memory. */
    public long inPlaceUpdates() { return inPlaceUpdates.get(); }

    /** Updates that went through the slower host copy (a GPU or non-contiguous tensor). */
    public long copiedUpdates() { return copiedUpdates.get(); }

    /** The rule and its settings, e.g. {@code gRDA c=0.01 mu=0.6 bias c=0.0}. */
    public String describe() { return rule.describe(); }

    /**
     * Writes the whole state (every parameter's step count, gRDA threshold and buffers, by
     * name and device) to {@code out}, which stays open. Write it next to DJL's
     * {@code model.save} (through a temporary file and a rename, if a crash must not leave half of it).
     */
    public synchronized void saveState(OutputStream out) throws IOException {
        OptimizerStateCodec.write(out, rule.describe(), roles, states);
    }

    /**
     * Replaces the state with one {@link #saveState} wrote, for the same rule and settings and
     * a block with parameters of the same names and sizes; the stream stays open. Nothing
     * changes unless all of it is read and fits: a malformed or truncated stream is an
     * IOException, a state of other settings or another model an IllegalArgumentException
     * naming what differs.
     */
    public synchronized void loadState(InputStream in) throws IOException {
        Map<String, Map<Device, StepState>> loaded = OptimizerStateCodec.read(in, rule, roles);
        states.clear();
        states.putAll(loaded);
        long max = 0;
        for (Map<Device, StepState> perDevice : loaded.values()) {
            for (StepState s : perDevice.values()) max = Math.max(max, s.steps);
        }
        numUpdate = max;
    }

    private static void requireFloat32(ParameterRoles.Role role, NDArray a, String what) {
        if (a.getDataType() != DataType.FLOAT32) {
            throw new IllegalArgumentException(role.name() + ": the " + what + " is " + a.getDataType()
                    + "; sparsestep's steps take float32 (cast the block with block.cast(DataType.FLOAT32))");
        }
    }

    /** DJL's base options at their defaults (rescale 1, no clipping, no decay, count from 0): the rules do not read them. */
    private static final class BaseDefaults extends OptimizerBuilder<BaseDefaults> {
        @Override
        protected BaseDefaults self() { return this; }
    }

    /** What both builders take: the model's block and the learning rate tracker, both required. */
    public abstract static class Builder<T extends Builder<T>> {
        private Block block;
        private ParameterTracker lrTracker;

        Builder() {}

        /** The model's block ({@code model.getBlock()}): its parameters' types tell weights from biases and norms. */
        public T setBlock(Block block) {
            this.block = block;
            return self();
        }

        /** The learning rate, e.g. {@code Tracker.fixed(0.1f)} or any DJL tracker. */
        public T setLearningRateTracker(ParameterTracker lrTracker) {
            this.lrTracker = lrTracker;
            return self();
        }

        abstract T self();

        abstract StepRule rule();

        /** The optimizer; refuses a missing block or tracker and settings outside their ranges (IllegalArgumentException). */
        public SparsestepOptimizer build() {
            if (block == null) {
                throw new IllegalArgumentException("setBlock(model.getBlock()) is required: DJL names parameters by id only, the block says which are weights");
            }
            if (lrTracker == null) throw new IllegalArgumentException("setLearningRateTracker(...) is required, e.g. Tracker.fixed(0.1f)");
            return new SparsestepOptimizer(this, rule());
        }
    }

    /** gRDA's settings: threshold scale c for weights, bias c for biases and norms, exponent mu. */
    public static final class GrdaBuilder extends Builder<GrdaBuilder> {
        private double c = 0.01;
        private double mu = 0.6;
        private double biasC = 0;

        GrdaBuilder() {}

        /** Threshold scale of the weights, >= 0 (default 0.01). */
        public GrdaBuilder optC(double c) {
            this.c = c;
            return this;
        }

        /** Threshold exponent, in (0, 1) (default 0.6; the theory assumes mu > 0.5). */
        public GrdaBuilder optMu(double mu) {
            this.mu = mu;
            return this;
        }

        /** Threshold scale of biases and batch/layer norm parameters, >= 0 (default 0: kept dense, plain SGD). */
        public GrdaBuilder optBiasC(double biasC) {
            this.biasC = biasC;
            return this;
        }

        @Override
        GrdaBuilder self() { return this; }

        @Override
        StepRule rule() { return new GrdaRule(c, mu, biasC); }
    }

    /** SGD's settings, PyTorch's semantics. */
    public static final class SgdBuilder extends Builder<SgdBuilder> {
        private double momentum = 0.9;
        private double dampening = 0;
        private double weightDecay = 0;
        private boolean nesterov;

        SgdBuilder() {}

        /** Momentum in [0, 1) (default 0.9; 0: no buffer). */
        public SgdBuilder optMomentum(double momentum) {
            this.momentum = momentum;
            return this;
        }

        /** Dampening in [0, 1] (default 0). */
        public SgdBuilder optDampening(double dampening) {
            this.dampening = dampening;
            return this;
        }

        /** Weight decay >= 0 on every parameter (default 0). */
        public SgdBuilder optWeightDecay(double weightDecay) {
            this.weightDecay = weightDecay;
            return this;
        }

        /** Nesterov momentum (needs momentum > 0 and dampening 0; default off). */
        public SgdBuilder optNesterov(boolean nesterov) {
            this.nesterov = nesterov;
            return this;
        }

        @Override
        SgdBuilder self() { return this; }

        @Override
        StepRule rule() { return new SgdRule(momentum, dampening, weightDecay, nesterov); }
    }
}
