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
 * One batch in evaluation mode on the GPU, before and after the shrink. Each invocation
 * enqueues {@link #PASSES} forward passes and waits once, so a pass is not timed as a
 * launch plus a synchronisation.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {BenchJvm.NATIVE_ACCESS, BenchJvm.ADD_MODULES, BenchJvm.VECTOR_MODULE})
@Warmup(iterations = 3, time = 1, timeUnit = TimeUnit.SECONDS)
@Measurement(iterations = 5, time = 1, timeUnit = TimeUnit.SECONDS)
@State(Scope.Benchmark)
public class CudaInferenceBench {
    /** Forward passes per timed window. */
    public static final int PASSES = 10;

    @Param({"vgg16", "resnet56"})
    public String model;

    @Param({"128"})
    public int batch;

    @Param({"before", "after"})
    public String shrink;

    private Backend backend;
    private InferenceFixture fixture;

    @Setup(Level.Trial)
    public void setUp() {
        backend = BenchDevice.CUDA.open();
        fixture = InferenceFixture.open(backend, model, batch, shrink, 42);
    }

    @Benchmark
    @OperationsPerInvocation(PASSES)
    public void passes() {
        for (int i = 0; i < PASSES; i++) fixture.forward();
        backend.synchronize();
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        fixture.close();
        backend.close();
    }
}
