package io.sparsestep.djl;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Block;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.ParameterTracker;
import io.sparsestep.backend.GroupGeometry.Grouping;
import io.sparsestep.backend.cpu.ExactZeros;
import io.sparsestep.optim.GmpSpec;
import io.sparsestep.optim.MomentumSettings;
import io.sparsestep.optim.PruneScope;
import io.sparsestep.optim.Sdprun;
import io.sparsestep.optim.TrainingPlan;
import io.sparsestep.optim.ZhuGuptaSchedule;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * A DJL {@link Optimizer} that runs sparsestep's methods on DJL's own tensors with the core's
 * fused CPU steps and ops: gRDA ({@link #grda()}, pruning while it trains), sDprun
 * ({@link #sdprun()}, whole filters and rows), GSM ({@link #gsm()}, global top-Q of
 * {@code |g*w|}), GMP ({@link #gmp()}, Zhu-Gupta masks) and SGD with momentum
 * ({@link #fusedSgd()}):
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
 * through a host copy that is written back, which is slower (see {@link HostFloats}). GSM,
 * and GMP with a global scope at its mask updates, rank all weights of a step together: their
 * weights' steps wait until the last trainable weight of the step has arrived (see
 * {@link WholeStep} for why and what it costs). State (accumulators and thresholds, momentum,
 * GMP's masks, the step counts) is kept per parameter and device in native memory of its own. After the step the weight's gradient is set to
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
    private final CoreOps ops = new CoreOps();
    private final StepRule rule;
    private final Map<String, Map<Device, StepState>> states = new ConcurrentHashMap<>();
    private final Map<Device, WholeStep> wholeSteps = new ConcurrentHashMap<>();
    private final UpdatePaths paths = new UpdatePaths();
    private long numUpdate;
    private boolean finalPruned;
    private boolean weightsChecked;
    /** {@link #ran} for each weight of a whole step that ran (one object, not one per step). */
    private final Consumer<WholeStep.Staged> ranStaged = s -> ran(s.id(), s.weight().getDevice(), s.state(), s.fresh());

    private SparsestepOptimizer(Builder<?> builder) {
        super(new BaseDefaults());
        this.roles = ParameterRoles.of(builder.block);
        this.lrTracker = builder.lrTracker;
        this.rule = builder.rule(ops);
        if (weightsInitialized()) checkWeights();
    }

    /** A builder for gRDA (defaults: c 0.01, mu 0.6, bias c 0, sparsestep's own). */
    public static GrdaBuilder grda() { return new GrdaBuilder(); }

    /** A builder for sDprun, gRDA with a group soft threshold (defaults: c 0.01, mu 0.6, bias c 0, conv weights by filters, lambda sqrt(|G|)). */
    public static SdprunBuilder sdprun() { return new SdprunBuilder(); }

    /** A builder for GSM, Global Sparse Momentum SGD (defaults: ratio 0.05, ties kept, momentum 0.9, weight decay 2e-3, no Nesterov). */
    public static GsmBuilder gsm() { return new GsmBuilder(); }

    /**
     * A builder for GMP, gradual magnitude pruning with the Zhu-Gupta schedule and exact
     * threshold (defaults: sparsity 0 to 0.95 from step 0, every 100 steps, per layer, momentum 0.9, no weight decay).
     */
    public static GmpBuilder gmp() { return new GmpBuilder(); }

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
        if (finalPruned) {
            throw new IllegalStateException("GSM's final prune has run (finalPrune()); it ends GSM's training, further steps would let the"
                    + " pruned weights move again. Train a new optimizer, or load a state saved before the prune");
        }
        if (!weightsChecked) checkWeights();
        Device device = weight.getDevice();
        Map<Device, StepState> perDevice = states.get(parameterId);
        StepState known = perDevice == null ? null : perDevice.get(device);
        // a new state joins the map only once its first step ran, so a refused update leaves nothing behind
        StepState state = known != null ? known : new StepState(weight.size(), rule.bufferCount(), rule.masked() && role.prunable(), ops.arena());
        if (state.size() != weight.size()) {
            throw new IllegalArgumentException(role.name() + " on " + device + " has " + weight.size()
                    + " elements but its optimizer state " + state.size() + "; was the parameter reshaped?");
        }
        long step = state.steps + 1;
        long count = Math.max(numUpdate, step);
        float lr = lrTracker.getNewValue(parameterId, Math.toIntExact(count));
        if (!(lr > 0 && lr < Float.POSITIVE_INFINITY)) {
            throw new IllegalArgumentException("the learning rate tracker gave lr " + lr + " at update " + count + " of " + role.name()
                    + "; it must be finite and > 0");
        }
        boolean whole = role.prunable() && rule.waitsForWholeStep(step);
        WholeStep wholeStep = whole ? wholeStep(device) : null;
        if (whole) wholeStep.requireAwaited(role);
        StepViews views = state.views(ops, role.name());
        views.weight().load(weight);
        views.gradient().load(grad);
        if (known == null) rule.start(state, views.weight().segment());
        if (whole) {
            if (wholeStep.add(role, weight, views, state, lr, step, known == null)) {
                wholeStep.run(rule, paths, ranStaged);
            }
        } else {
            stepOne(role, weight, views, state, lr, step);
            ran(parameterId, device, state, known == null);
        }
        if (weight.hasGradient()) {
            try (NDArray gradient = weight.getGradient()) {
                HostFloats.zero(gradient);
            }
        }
    }

    /** One parameter's own step; a refusal takes back its count and threshold (the rules refuse before they write). */
    private void stepOne(ParameterRoles.Role role, NDArray weight, StepViews views, StepState state, float lr, long step) {
        double tau = state.tau;
        state.steps = step;
        try {
            rule.step(views, state, lr, weight.getShape().getShape(), role.prunable());
            views.weight().writeBack();
        } catch (RuntimeException | Error e) {
            state.steps = step - 1;
            state.tau = tau;
            throw e;
        }
        paths.count(views.weight());
    }

    /** The device's whole step, made at its first use. */
    private WholeStep wholeStep(Device device) {
        WholeStep w = wholeSteps.get(device);
        if (w == null) {
            w = new WholeStep(rule.describe(), trainableWeights(), ops);
            wholeSteps.put(device, w);
        }
        return w;
    }

    /** Notes a step that ran: a new state joins the states, the update count follows the largest step count. */
    private void ran(String parameterId, Device device, StepState state, boolean fresh) {
        if (fresh) states.computeIfAbsent(parameterId, k -> new ConcurrentHashMap<>()).put(device, state);
        numUpdate = Math.max(numUpdate, state.steps);
    }

    /** The rule's checks of the block's trainable weights, once they are initialized (at build, or at the first update). */
    private void checkWeights() {
        rule.checkWeights(trainableWeights());
        weightsChecked = true;
    }

    /** Whether every prunable weight of the block is initialized (a loaded model's, or one initialized before the optimizer was built). */
    private boolean weightsInitialized() {
        for (ParameterRoles.Role r : roles.prunable()) if (!r.parameter().isInitialized()) return false;
        return true;
    }

    private List<ParameterRoles.Role> trainableWeights() {
        List<ParameterRoles.Role> out = new ArrayList<>();
        for (ParameterRoles.Role r : roles.prunable()) if (r.parameter().requiresGradient()) out.add(r);
        return out;
    }

    /**
     * GSM's final prune, the authors' pipeline (ALGORITHMS.md 3.1; the core's {@code Gsm} runs it
     * after the last epoch): over all weights of the block as it holds them now,
     * {@code k0 = floor(N * (1 - ratio))}, the weights with {@code |w| >=} the (N-k0)-th largest
     * are kept (ties kept; exactly N-k0, lowest flat index in the block's order first, with
     * {@code optExactQ}) and the others set to +0.0 in DJL's arrays. Call it once after
     * training; it ends GSM's training (a later {@code update} is refused, since GSM's steps
     * would move the pruned weights again) and is recorded by {@link #saveState}. Returns the
     * weights kept. Only for {@link #gsm()}.
     */
    public synchronized long finalPrune() {
        if (!(rule instanceof GsmRule gsm)) throw new IllegalStateException("finalPrune() is GSM's; this optimizer is " + rule.describe());
        if (finalPruned) throw new IllegalStateException("GSM's final prune has run already");
        requireNoPendingStep("finalPrune()");
        long kept = gsm.finalPrune(roles.prunable());
        finalPruned = true;
        return kept;
    }

    /**
     * Per weight tensor, in the block's order, how many of sDprun's groups (conv filters or
     * channels, linear rows) are exactly zero as the block holds them now (a group counts
     * when all its elements are 0): the structured sparsity the per-element
     * {@link #sparsity()} does not show. Only for {@link #sdprun()}.
     */
    public synchronized List<Sdprun.GroupCount> zeroGroups() {
        if (!(rule instanceof SdprunRule sdprun)) throw new IllegalStateException("zeroGroups() is sDprun's; this optimizer is " + rule.describe());
        List<Sdprun.GroupCount> out = new ArrayList<>();
        for (ParameterRoles.Role r : roles.prunable()) {
            NDArray a = WeightZeros.initialized(r).getArray();
            out.add(sdprun.zeroGroups(r.name(), ops.hostSlot(r.name()).load(a).segment(), a.getShape().getShape()));
        }
        return out;
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
        ExactZeros all = ExactZeros.NONE;
        for (ParameterRoles.Role r : roles.prunable()) all = all.plus(WeightZeros.of(r));
        return all.share();
    }

    /** Updates that ran directly on DJL's memory (a weight of a whole step counts when its step runs). */
    public long inPlaceUpdates() { return paths.inPlace(); }

    /** Updates that went through the slower host copy (a GPU or non-contiguous tensor). */
    public long copiedUpdates() { return paths.copied(); }

    /** The arenas, tensor wrappers and host slots this optimizer has made so far (for the tests that steady steps make none). */
    synchronized CoreOps.Made made() { return ops.made(); }

    /** The rule and its settings, e.g. {@code gRDA c=0.01 mu=0.6 bias c=0.0}. */
    public String describe() { return rule.describe(); }

    /**
     * Writes the whole state (every parameter's step count, gRDA threshold and buffers, by
     * name and device) to {@code out}, which stays open. Write it next to DJL's
     * {@code model.save} (through a temporary file and a rename, if a crash must not leave half of it).
     */
    public synchronized void saveState(OutputStream out) throws IOException {
        requireNoPendingStep("saveState");
        OptimizerStateCodec.write(out, rule.describe(), roles, states, finalPruned ? Map.of(FINAL_PRUNED, 1.0) : Map.of());
    }

    private static final String FINAL_PRUNED = "final_pruned";

    private void requireNoPendingStep(String what) {
        for (WholeStep w : wholeSteps.values()) {
            if (w.pending()) {
                throw new IllegalStateException(what + " in the middle of a step: some weights wait for the rest of it (" + rule.describe()
                        + " ranks them together); call it between trainer steps");
            }
        }
    }

    /**
     * Replaces the state with one {@link #saveState} wrote, for the same rule and settings and
     * a block with parameters of the same names and sizes; the stream stays open. Nothing
     * changes unless all of it is read and fits: a malformed or truncated stream is an
     * IOException, a state of other settings or another model an IllegalArgumentException
     * naming what differs.
     */
    public synchronized void loadState(InputStream in) throws IOException {
        OptimizerStateCodec.Saved loaded = OptimizerStateCodec.read(in, rule, roles);
        Double pruned = loaded.scalars().get(FINAL_PRUNED);
        if (pruned != null && (!(rule instanceof GsmRule) || pruned != 1.0)) {
            throw new IOException("optimizer state is damaged: " + FINAL_PRUNED + " = " + pruned + " for " + rule.describe());
        }
        states.clear();
        states.putAll(loaded.states());
        for (WholeStep w : wholeSteps.values()) w.clear();
        long max = 0;
        for (Map<Device, StepState> perDevice : loaded.states().values()) {
            for (StepState s : perDevice.values()) max = Math.max(max, s.steps);
        }
        numUpdate = max;
        finalPruned = pruned != null;
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

        /** The rule, checked by the core's rules; {@code ops} is the optimizer's backend for the rules that use the core's ops. */
        abstract StepRule rule(CoreOps ops);

        /** The optimizer; refuses a missing block or tracker and settings outside their ranges (IllegalArgumentException). */
        public SparsestepOptimizer build() {
            if (block == null) {
                throw new IllegalArgumentException("setBlock(model.getBlock()) is required: DJL names parameters by id only, the block says which are weights");
            }
            if (lrTracker == null) throw new IllegalArgumentException("setLearningRateTracker(...) is required, e.g. Tracker.fixed(0.1f)");
            return new SparsestepOptimizer(this);
        }
    }

    /** What gRDA and sDprun share: threshold scale c for weights, bias c for biases and norms, exponent mu. */
    public abstract static class ThresholdBuilder<T extends ThresholdBuilder<T>> extends Builder<T> {
        double c = 0.01;
        double mu = 0.6;
        double biasC = 0;

        ThresholdBuilder() {}

        /** Threshold scale of the weights, >= 0 (default 0.01). */
        public T optC(double c) {
            this.c = c;
            return self();
        }

        /** Threshold exponent, in (0, 1) (default 0.6; the theory assumes mu > 0.5). */
        public T optMu(double mu) {
            this.mu = mu;
            return self();
        }

        /** Threshold scale of biases and batch/layer norm parameters, >= 0 (default 0: kept dense, plain SGD). */
        public T optBiasC(double biasC) {
            this.biasC = biasC;
            return self();
        }
    }

    /** gRDA's settings: threshold scale c for weights, bias c for biases and norms, exponent mu. */
    public static final class GrdaBuilder extends ThresholdBuilder<GrdaBuilder> {
        GrdaBuilder() {}

        @Override
        GrdaBuilder self() { return this; }

        @Override
        StepRule rule(CoreOps ops) { return new GrdaRule(c, mu, biasC); }
    }

    /** sDprun's settings: gRDA's, plus how conv weights are grouped and the group threshold's scale. */
    public static final class SdprunBuilder extends ThresholdBuilder<SdprunBuilder> {
        private Grouping groups = Grouping.FILTERS;
        private Sdprun.Lambda lambda = Sdprun.Lambda.SQRT;

        SdprunBuilder() {}

        /**
         * How conv weights [O, I, kh, kw] are grouped: {@code FILTERS} (W[o,:,:,:], the default:
         * whole output channels go) or {@code CHANNELS} (W[:,i,:,:]); a linear weight is always
         * grouped by rows (its output units), a 1-d weight element by element.
         */
        public SdprunBuilder optGroups(Grouping groups) {
            this.groups = groups;
            return this;
        }

        /** The group threshold's scale lambda_G: {@code SQRT} (sqrt of the group size, the default) or {@code ONE}. */
        public SdprunBuilder optLambda(Sdprun.Lambda lambda) {
            this.lambda = lambda;
            return this;
        }

        @Override
        SdprunBuilder self() { return this; }

        @Override
        StepRule rule(CoreOps ops) { return new SdprunRule(c, mu, biasC, groups, lambda, ops); }
    }

    /** What GSM and GMP share: momentum SGD (dampening 0) with weight decay on the weights only. */
    public abstract static class MomentumBuilder<T extends MomentumBuilder<T>> extends Builder<T> {
        double momentum = 0.9;
        double weightDecay;
        boolean nesterov;

        MomentumBuilder(double weightDecay) { this.weightDecay = weightDecay; }

        /** Momentum in [0, 1) (default 0.9; 0: no buffer). */
        public T optMomentum(double momentum) {
            this.momentum = momentum;
            return self();
        }

        /** Weight decay >= 0 on the weights (type WEIGHT) only; biases and norms are never decayed. */
        public T optWeightDecay(double weightDecay) {
            this.weightDecay = weightDecay;
            return self();
        }

        /** Nesterov momentum (needs momentum > 0; default off). */
        public T optNesterov(boolean nesterov) {
            this.nesterov = nesterov;
            return self();
        }
    }

    /** GSM's settings: the share of weights that get their gradient, the tie rule, and momentum SGD's (weight decay default 2e-3). */
    public static final class GsmBuilder extends MomentumBuilder<GsmBuilder> {
        private double ratio = 0.05;
        private boolean exactQ;

        GsmBuilder() { super(2e-3); }

        /** Share of the weights kept, in (0, 1]: Q = floor(ratio * N) get their gradient each step (default 0.05, 20x). */
        public GsmBuilder optRatio(double ratio) {
            this.ratio = ratio;
            return this;
        }

        /**
         * Exactly Q selected per step and at the final prune, ties broken by flat index in the
         * block's order (lowest first); default off: every weight tied with the Q-th is kept, as the authors.
         */
        public GsmBuilder optExactQ(boolean exactQ) {
            this.exactQ = exactQ;
            return this;
        }

        @Override
        GsmBuilder self() { return this; }

        @Override
        StepRule rule(CoreOps ops) { return new GsmRule(momentum, weightDecay, nesterov, ratio, exactQ, ops); }
    }

    /** GMP's settings: the Zhu-Gupta schedule, the scope of the ranking, and momentum SGD's (weight decay default 0). */
    public static final class GmpBuilder extends MomentumBuilder<GmpBuilder> {
        private double initialSparsity = 0;
        private double finalSparsity = 0.95;
        private long beginStep = 0;
        private long endStep = GmpSpec.AUTO_END;
        private long frequency = 100;
        private long totalSteps;
        private PruneScope scope = PruneScope.LAYER;

        GmpBuilder() { super(0); }

        /** Sparsity s_i at the begin step, in [0, final] (default 0). */
        public GmpBuilder optInitialSparsity(double initialSparsity) {
            this.initialSparsity = initialSparsity;
            return this;
        }

        /** Sparsity s_f at the end step, in [0, 1) (default 0.95). */
        public GmpBuilder optFinalSparsity(double finalSparsity) {
            this.finalSparsity = finalSparsity;
            return this;
        }

        /** The first mask update; steps count from 0, one per trainer step (default 0). */
        public GmpBuilder optBeginStep(long beginStep) {
            this.beginStep = beginStep;
            return this;
        }

        /** The last mask update, after the begin step; unset, the last multiple of the frequency before 3/4 of {@link #optTotalSteps}. */
        public GmpBuilder optEndStep(long endStep) {
            this.endStep = endStep;
            return this;
        }

        /** Steps between mask updates, >= 1 (default 100). */
        public GmpBuilder optFrequency(long frequency) {
            this.frequency = frequency;
            return this;
        }

        /** The run's length in trainer steps (epochs times batches per epoch), for the default end step. */
        public GmpBuilder optTotalSteps(long totalSteps) {
            this.totalSteps = totalSteps;
            return this;
        }

        /** Rank |w| within each weight tensor ({@code LAYER}, TF-MOT's, the default) or over all weights together ({@code GLOBAL}). */
        public GmpBuilder optScope(PruneScope scope) {
            this.scope = scope;
            return this;
        }

        @Override
        GmpBuilder self() { return this; }

        @Override
        StepRule rule(CoreOps ops) {
            ZhuGuptaSchedule schedule;
            if (endStep == GmpSpec.AUTO_END) {
                if (totalSteps < 1) {
                    throw new IllegalArgumentException("GMP needs optEndStep(step of the last mask update) or optTotalSteps(steps of the run)"
                            + " for its default end step");
                }
                // the core's rule: the last multiple of the frequency before 3/4 of the run
                schedule = new GmpSpec(new MomentumSettings(1, momentum, weightDecay, nesterov), initialSparsity, finalSparsity, beginStep,
                        endStep, frequency, scope == null ? PruneScope.LAYER : scope, false).schedule(new TrainingPlan(1, totalSteps, 0));
            } else {
                schedule = new ZhuGuptaSchedule(initialSparsity, finalSparsity, beginStep, endStep, frequency);
            }
            return new GmpRule(momentum, weightDecay, nesterov, schedule, scope, ops);
        }
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
        StepRule rule(CoreOps ops) { return new SgdRule(momentum, dampening, weightDecay, nesterov); }
    }
}
