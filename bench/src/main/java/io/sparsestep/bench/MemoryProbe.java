package io.sparsestep.bench;

import io.sparsestep.backend.Backend;

import java.util.Map;

/**
 * The memory half of the suite, run in the launching JVM rather than inside JMH (memory
 * is a property of the configuration, not a timing): for each configuration of a run, a
 * fresh backend, the same fixture the benchmark builds, one step, then the optimizer's
 * state bytes, the backend's peak bytes and the allocations the step made.
 */
public final class MemoryProbe {
    private MemoryProbe() {}

    public static MemoryRecord measure(BenchTarget target, Map<String, String> params) {
        try (Backend backend = target.device().open()) {
            return switch (target.workload()) {
                case OPTIMIZER_STEP -> {
                    int size = Integer.parseInt(params.get("size"));
                    try (FlatStepFixture f = FlatStepFixture.open(backend, StepKind.of(params.get("kind")), size, 42)) {
                        long before = backend.allocationCount();
                        f.step();
                        backend.synchronize();
                        yield new MemoryRecord(target.workload().id(), target.device().id(), params, size, f.stateBytes(),
                                backend.peakBytes(), backend.allocationCount() - before);
                    }
                }
                case TRAIN_STEP -> {
                    int batch = Integer.parseInt(params.get("batch"));
                    try (TrainStepFixture f = TrainStepFixture.open(backend, params.get("model"), batch,
                            StepKind.of(params.get("optimizer")), 42)) {
                        long before = backend.allocationCount();
                        f.step();
                        backend.synchronize();
                        yield new MemoryRecord(target.workload().id(), target.device().id(), params,
                                f.network().parameterCount(), f.stateBytes(), backend.peakBytes(),
                                backend.allocationCount() - before);
                    }
                }
                case INFERENCE -> {
                    int batch = Integer.parseInt(params.get("batch"));
                    try (InferenceFixture f = InferenceFixture.open(backend, params.get("model"), batch, params.get("shrink"), 42)) {
                        long before = backend.allocationCount();
                        f.forward();
                        backend.synchronize();
                        // no optimizer: no state; the peak also saw the full network the weights were drawn from, so the report leaves it out
                        yield new MemoryRecord(target.workload().id(), target.device().id(), params, f.network().parameterCount(), 0,
                                backend.peakBytes(), backend.allocationCount() - before);
                    }
                }
            };
        }
    }
}
