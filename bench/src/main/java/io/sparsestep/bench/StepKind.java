package io.sparsestep.bench;

import io.sparsestep.optim.CampfireSpec;
import io.sparsestep.optim.DropPruningSpec;
import io.sparsestep.optim.FilterPruningSpec;
import io.sparsestep.optim.FixedMaskSpec;
import io.sparsestep.optim.GmpSpec;
import io.sparsestep.optim.GrdaSpec;
import io.sparsestep.optim.GsmSpec;
import io.sparsestep.optim.MagnitudeSpec;
import io.sparsestep.optim.Method;
import io.sparsestep.optim.MethodSpec;
import io.sparsestep.optim.SdprunSpec;
import io.sparsestep.optim.SgdSpec;
import io.sparsestep.optim.SlimmingSpec;

import java.util.Arrays;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * What one flat-buffer benchmark step does, and how many bytes per parameter it must move
 * at the least (fp32, every operand read or written once) in how many passes over memory.
 * These nominal byte counts turn a time into a bandwidth; the copy moves 8, so "fraction of
 * copy bandwidth" compares each step with the fastest thing the memory system does on the
 * same sizes in the same run.
 *
 * <p>Three sorts of kind: the copy baseline; a registered method's optimizer, built through
 * the registry with this kind's options (every method of {@code Methods.ALL} needs one,
 * {@code BenchHarnessTest} checks); and an op-level kind, one fused op of
 * {@code StepOps} called directly ({@link FusedOp}, {@link FusedOpStep}), which times a
 * kernel on its own, e.g. GSM's step without its selection. Reports list the copy, then
 * the methods, then the op-level kinds, whatever their place here.
 */
public enum StepKind {
    /** dst = src: read 4, write 4. The bandwidth baseline. */
    COPY("copy", 8, null, Map.of()),
    // op-level kinds (no optimizer): kept next to the copy, so a method's kind is added at the end
    /** GSM's fused step alone (StepOps.gsm, the threshold precomputed): read w, g, m, write w, m. */
    GSM_STEP("gsm-step", 20, FusedOp.GSM),
    /** SGD-momentum under a fixed u8 mask (StepOps.maskedSgd), pruned weights zeroed: read w, g, m, mask, write w, m. */
    MASKED_SGD_STEP("masked-sgd-step", 21, FusedOp.MASKED_SGD),
    /** gRDA: read g and acc, write acc and w. It never reads w. */
    GRDA("grda", 16, GrdaSpec.METHOD, Map.of("--lr", "0.01", "--c", "0.0005", "--mu", "0.6")),
    /** Plain SGD: read w and g, write w. */
    SGD("sgd", 12, SgdSpec.METHOD, Map.of("--lr", "0.01", "--momentum", "0")),
    /** SGD with momentum: read w, g and m, write w and m. */
    SGD_MOMENTUM("sgd-momentum", 20, SgdSpec.METHOD, Map.of("--lr", "0.01", "--momentum", "0.9")),
    /**
     * GSM: three radix-select histogram passes over |g*w| (read g and w: 8 each), then the
     * gated momentum step (read w, g, m, write w, m: 20). Keeps 5% of the weights.
     */
    GSM("gsm", 44, 4, GsmSpec.METHOD, Map.of("--lr", "0.01", "--momentum", "0.9", "--ratio", "0.05"), null),
    /**
     * Gradual magnitude pruning: the masked momentum step (read w, g, m and the u8 mask, write
     * w, m: 21), with the default schedule's mask update every 100 steps amortised into it.
     */
    GMP("gmp", 21, GmpSpec.METHOD, Map.of("--lr", "0.01", "--momentum", "0.9", "--final-sparsity", "0.9",
            // a benchmark runs far beyond a plan's steps: the schedule must keep updating every 100 steps for the amortised cost
            "--end-step", "1000000000000")),
    /** DropPruning between rounds: the masked momentum step (21); rounds happen at epoch starts, which a step benchmark has none of. */
    DROPPRUNING("droppruning", 21, DropPruningSpec.METHOD, Map.of("--lr", "0.01", "--momentum", "0.9")),
    /** One-shot magnitude between prunes: the masked momentum step (21). */
    MAGNITUDE("magnitude", 21, MagnitudeSpec.METHOD, Map.of("--lr", "0.01", "--momentum", "0.9")),
    /** Campfire between mask updates (epoch starts): the masked momentum step (21). Needs conv weights: train-step rows only. */
    CAMPFIRE("campfire", 21, CampfireSpec.METHOD, Map.of("--lr", "0.01", "--momentum", "0.9")),
    /** L1 filter pruning between prunes: the masked momentum step (21). Needs conv weights: train-step rows only. */
    L1_FILTER("l1-filter", 21, FilterPruningSpec.METHOD, Map.of("--lr", "0.01", "--momentum", "0.9")),
    /** Network slimming before its prune: the masked momentum step (21) and the L1 subgradient on the batch-norm scales. Needs batch norm. */
    SLIMMING("slimming", 21, SlimmingSpec.METHOD, Map.of("--lr", "0.01", "--momentum", "0.9")),
    /**
     * sDprun on rows of 4096 (a [n/4096, 4096] weight, VGG-16's fc7 at 16M): like gRDA, read g
     * and acc, write acc and w; the group's second pass re-reads acc from cache (20 B when
     * it misses), plus 8 B per group of 4096.
     */
    SDPRUN("sdprun", 16, SdprunSpec.METHOD, Map.of("--lr", "0.01", "--c", "0.0005", "--mu", "0.6")),
    /** Fixed-mask SGD (what `retrain` trains with): the masked momentum step (21); its mask is set once, before training. */
    FIXED_MASK("fixed-mask", 21, FixedMaskSpec.METHOD, Map.of("--lr", "0.01", "--momentum", "0.9")),
    /**
     * GSM's threshold: the k-th largest |g*w| with k = floor({@link #SELECT_KEEP} * n), by
     * {@code selects().kthLargest}. At the least it reads w and g once (8); the GPU's radix
     * select takes three passes over both (24 moved), so its "of copy" is at most about a third.
     * The CPU's sampled window ({@code CpuSelectWindow}) reads them once when its bracket holds
     * (then "of copy" can reach about one half: copy moves 8 B too, half of them writes); the
     * passes column shows the radix route's 3.
     */
    SELECT("select", 8, 3, null, Map.of(), null);


    /** The fraction of the entries the select benchmark keeps: GSM at 20x (ALGORITHMS.md 3), floored as GSM floors. */
    public static final double SELECT_KEEP = 0.05;

    /** A fused op of {@code StepOps} that an op-level kind calls directly. */
    public enum FusedOp { GSM, MASKED_SGD }

    private final String id;
    private final int bytesPerParam;
    private final int passes;
    private final Method method;
    private final Map<String, String> options;
    private final FusedOp fusedOp;

    /** A method's kind (or the copy, with no method): one pass over memory, as every fused step makes. */
    StepKind(String id, int bytesPerParam, Method method, Map<String, String> options) {
        this(id, bytesPerParam, 1, method, options, null);
    }

    /** An op-level kind: one fused op, one pass. */
    StepKind(String id, int bytesPerParam, FusedOp op) {
        this(id, bytesPerParam, 1, null, Map.of(), op);
    }

    StepKind(String id, int bytesPerParam, int passes, Method method, Map<String, String> options, FusedOp fusedOp) {
        this.id = id;
        this.bytesPerParam = bytesPerParam;
        this.passes = passes;
        this.method = method;
        this.options = options;
        this.fusedOp = fusedOp;
    }

    /** The registry's method this step benchmarks (null for the copy baseline, the selection and the op-level kinds). */
    public Method method() { return method; }

    /** The method with this kind's settings, from the registry (the benchmark builds optimizers as the CLI does). */
    public MethodSpec spec() {
        if (method == null) throw new IllegalStateException(id + " has no optimizer");
        return method.parse(options);
    }

    /** The name used in JMH parameters, reports and on the command line. */
    public String id() { return id; }

    /** Minimum bytes of memory traffic per parameter for one step. */
    public int bytesPerParam() { return bytesPerParam; }

    /** Passes over the parameter-sized buffers one step makes (a fused step: 1). */
    public int passes() { return passes; }

    /** Whether the step is a registered method's optimizer (not the copy, not an op-level kind). */
    public boolean isOptimizer() { return method != null; }

    /** The fused op an op-level kind calls, or null. */
    public FusedOp fusedOp() { return fusedOp; }

    /** Where a report lists this kind: the copy, then the methods, then the op-level kinds (then by declaration). */
    int reportGroup() { return this == COPY ? 0 : method != null ? 1 : 2; }

    /** The select benchmark's k for n entries: floor(SELECT_KEEP * n), at least 1. */
    public static long selectK(long n) {
        return Math.max(1, (long) Math.floor(SELECT_KEEP * n));
    }

    public static StepKind of(String id) {
        for (StepKind k : values()) if (k.id.equals(id)) return k;
        throw new IllegalArgumentException("unknown step kind '" + id + "'; choose one of "
                + Arrays.stream(values()).map(StepKind::id).collect(Collectors.joining(", ")));
    }
}
