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
 * One optimizer step (or the device-to-device copy baseline) over a flat buffer on the
 * GPU. Launches are asynchronous, so each invocation enqueues {@link #STEPS} steps and
 * then waits for the device: the window covers the kernels themselves, and the one
 * synchronisation is spread over many launches instead of timing a single one. Sizes from
 * 16M parameters up are several times larger than an H200's 60 MB L2 (64M parameters:
 * 256 MB per buffer); 1M (4 MB per buffer) is L2-resident and shows launch-bound behaviour.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {BenchJvm.NATIVE_ACCESS, BenchJvm.ADD_MODULES, BenchJvm.VECTOR_MODULE})
@Warmup(iterations = 3, time = 500, timeUnit = TimeUnit.MILLISECONDS)
@Measurement(iterations = 7, time = 500, timeUnit = TimeUnit.MILLISECONDS)
@State(Scope.Benchmark)
public class CudaOptimizerStepBench {
    /** Steps per timed window. */
    public static final int STEPS = 50;

    @Param({"1048576", "16777216", "67108864", "268435456"})
    public int size;

    @Param({"copy", "grda", "sgd", "sgd-momentum", "gsm", "gmp", "droppruning", "magnitude", "sdprun", "select"})
    public String kind;

    private Backend backend;
    private FlatStepFixture fixture;

    @Setup(Level.Trial)
    public void setUp() {
        backend = BenchDevice.CUDA.open();
        fixture = FlatStepFixture.open(backend, StepKind.of(kind), size, 42);
    }

    @Benchmark
    @OperationsPerInvocation(STEPS)
    public void steps() {
        for (int i = 0; i < STEPS; i++) fixture.step();
        backend.synchronize();
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        fixture.close();
        backend.close();
    }
}
