package io.sparsestep.bench;

import io.sparsestep.optim.CampfireSpec;
import io.sparsestep.optim.DropPruningSpec;
import io.sparsestep.optim.FilterPruningSpec;
import io.sparsestep.optim.GmpSpec;
import io.sparsestep.optim.GrdaSpec;
import io.sparsestep.optim.GsmSpec;
import io.sparsestep.optim.MagnitudeSpec;
import io.sparsestep.optim.Method;
import io.sparsestep.optim.MethodSpec;
import io.sparsestep.optim.SgdSpec;
import io.sparsestep.optim.SlimmingSpec;

import java.util.Arrays;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * What one flat-buffer benchmark step does, and how many bytes per parameter it must move
 * at the least (fp32, every operand read or written once). These nominal byte counts turn
 * a time into a bandwidth; the copy moves 8, so "fraction of copy bandwidth" compares each
 * step with the fastest thing the memory system does on the same sizes in the same run.
 */
public enum StepKind {
    /** dst = src: read 4, write 4. The bandwidth baseline. */
    COPY("copy", 8, null, Map.of()),
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
    GSM("gsm", 44, GsmSpec.METHOD, Map.of("--lr", "0.01", "--momentum", "0.9", "--ratio", "0.05")),
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
     * GSM's threshold: the k-th largest |g*w| with k = floor({@link #SELECT_KEEP} * n), by
     * {@code selects().kthLargest}. At the least it reads w and g once (8); the radix select
     * takes three passes over both (24 moved), so its "of copy" is at most about a third.
     */
    SELECT("select", 8, null, Map.of());

    /** The fraction of the entries the select benchmark keeps: GSM at 20x (ALGORITHMS.md 3), floored as GSM floors. */
    public static final double SELECT_KEEP = 0.05;

    private final String id;
    private final int bytesPerParam;
    private final Method method;
    private final Map<String, String> options;

    StepKind(String id, int bytesPerParam, Method method, Map<String, String> options) {
        this.id = id;
        this.bytesPerParam = bytesPerParam;
        this.method = method;
        this.options = options;
    }

    /** The registry's method this step benchmarks (null for the copy baseline and the selection). */
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

    /** Whether this kind steps an optimizer of the registry (the copy and the selection do not). */
    public boolean isOptimizer() { return method != null; }

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
