package io.sparsestep.bench;

import io.sparsestep.backend.Backend;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.util.concurrent.TimeUnit;

/**
 * A full training step on the GPU, gRDA against SGD with momentum. Each invocation
 * enqueues {@link #STEPS} steps and waits once, so small models (LeNet) are not timed
 * as a single launch plus a synchronisation.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {BenchJvm.NATIVE_ACCESS, BenchJvm.ADD_MODULES, BenchJvm.VECTOR_MODULE})
@Warmup(iterations = 3, time = 1, timeUnit = TimeUnit.SECONDS)
@Measurement(iterations = 5, time = 1, timeUnit = TimeUnit.SECONDS)
@State(Scope.Benchmark)
public class CudaTrainStepBench {
    /** Steps per timed window. */
    public static final int STEPS = 10;

    @Param({"lenet300", "lenet5", "vgg16"})
    public String model;

    @Param({"128"})
    public int batch;

    @Param({"grda", "sgd-momentum", "gsm", "gmp"})
    public String optimizer;

    private Backend backend;
    private TrainStepFixture fixture;

    @Setup(Level.Trial)
    public void setUp() {
        backend = BenchDevice.CUDA.open();
        fixture = TrainStepFixture.open(backend, model, batch, StepKind.of(optimizer), 42);
    }

    @Benchmark
    @OperationsPerInvocation(STEPS)
    public void steps() {
        for (int i = 0; i < STEPS; i++) fixture.step();
        backend.synchronize();
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        try {
            TrainStepChecks.requireFiniteLoss(fixture);
        } finally {
            fixture.close();
            backend.close();
        }
    }
}
