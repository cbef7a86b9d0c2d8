package io.sparsestep.bench;

import io.sparsestep.backend.Backend;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.util.concurrent.TimeUnit;

/** One batch in evaluation mode on the CPU backend, before and after the shrink (the same function, fewer channels). */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {BenchJvm.NATIVE_ACCESS, BenchJvm.ADD_MODULES, BenchJvm.VECTOR_MODULE})
@Warmup(iterations = 2, time = 1, timeUnit = TimeUnit.SECONDS)
@Measurement(iterations = 3, time = 1, timeUnit = TimeUnit.SECONDS)
@State(Scope.Benchmark)
public class CpuInferenceBench {
    @Param({"vgg16", "resnet56"})
    public String model;

    @Param({"16"})
    public int batch;

    @Param({"before", "after"})
    public String shrink;

    private Backend backend;
    private InferenceFixture fixture;

    @Setup(Level.Trial)
    public void setUp() {
        backend = BenchDevice.CPU.open();
        fixture = InferenceFixture.open(backend, model, batch, shrink, 42);
    }

    @Benchmark
    public void forward() {
        fixture.forward();
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        fixture.close();
        backend.close();
    }
}
