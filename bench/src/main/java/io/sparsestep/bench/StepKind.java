package io.sparsestep.bench;

import io.sparsestep.optim.GrdaSpec;
import io.sparsestep.optim.Method;
import io.sparsestep.optim.MethodSpec;
import io.sparsestep.optim.SdprunSpec;
import io.sparsestep.optim.SgdSpec;

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
     * sDprun on rows of 4096 (a [n/4096, 4096] weight, VGG-16's fc7 at 16M): like gRDA, read g
     * and acc, write acc and w; the group's second pass re-reads acc from cache (20 B when
     * it misses), plus 8 B per group of 4096.
     */
    SDPRUN("sdprun", 16, SdprunSpec.METHOD, Map.of("--lr", "0.01", "--c", "0.0005", "--mu", "0.6"));

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

    /** The registry's method this step benchmarks (null for the copy baseline). */
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

    public boolean isOptimizer() { return this != COPY; }

    public static StepKind of(String id) {
        for (StepKind k : values()) if (k.id.equals(id)) return k;
        throw new IllegalArgumentException("unknown step kind '" + id + "'; choose one of "
                + Arrays.stream(values()).map(StepKind::id).collect(Collectors.joining(", ")));
    }
}
