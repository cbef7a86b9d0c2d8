package io.sparsestep.bench;

import java.util.regex.Pattern;

/** The JMH benchmarks of the suite: what they measure and on which device. */
public enum BenchTarget {
    CPU_OPTIMIZER_STEP(CpuOptimizerStepBench.class, "step", BenchDevice.CPU, Workload.OPTIMIZER_STEP),
    CUDA_OPTIMIZER_STEP(CudaOptimizerStepBench.class, "steps", BenchDevice.CUDA, Workload.OPTIMIZER_STEP),
    CPU_TRAIN_STEP(CpuTrainStepBench.class, "step", BenchDevice.CPU, Workload.TRAIN_STEP),
    CUDA_TRAIN_STEP(CudaTrainStepBench.class, "steps", BenchDevice.CUDA, Workload.TRAIN_STEP),
    CPU_INFERENCE(CpuInferenceBench.class, "forward", BenchDevice.CPU, Workload.INFERENCE),
    CUDA_INFERENCE(CudaInferenceBench.class, "passes", BenchDevice.CUDA, Workload.INFERENCE);

    /** What a benchmark times. */
    public enum Workload {
        /** One optimizer step (or the copy) over a flat buffer; JMH params {@code size}, {@code kind}. */
        OPTIMIZER_STEP("optimizer-step"),
        /** Forward + backward + optimizer; JMH params {@code model}, {@code batch}, {@code optimizer}. */
        TRAIN_STEP("train-step"),
        /** One evaluation-mode forward pass before or after the shrink; JMH params {@code model}, {@code batch}, {@code shrink}. */
        INFERENCE("inference");

        private final String id;

        Workload(String id) { this.id = id; }

        public String id() { return id; }
    }

    private final Class<?> benchClass;
    private final String method;
    private final BenchDevice device;
    private final Workload workload;

    BenchTarget(Class<?> benchClass, String method, BenchDevice device, Workload workload) {
        this.benchClass = benchClass;
        this.method = method;
        this.device = device;
        this.workload = workload;
    }

    /** JMH's name for the benchmark method. */
    public String benchmarkName() { return benchClass.getName() + "." + method; }

    /** A JMH include pattern that selects this benchmark and nothing else. */
    public String includePattern() { return "^" + Pattern.quote(benchmarkName()) + "$"; }

    public BenchDevice device() { return device; }

    public Workload workload() { return workload; }

    /** The target JMH reported a result for, by its benchmark name. */
    public static BenchTarget byBenchmarkName(String name) {
        for (BenchTarget t : values()) if (t.benchmarkName().equals(name)) return t;
        throw new IllegalArgumentException("benchmark '" + name + "' is not part of the sparsestep suite");
    }
}
