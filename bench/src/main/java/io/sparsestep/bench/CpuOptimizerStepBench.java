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

/**
 * One optimizer step (or the copy baseline) over a flat buffer on the CPU backend. A step
 * here is milliseconds long and synchronous, so one step per invocation is timed exactly.
 * The annotations hold the quick settings; {@code sparsestep bench} sets sizes and
 * iterations itself.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {BenchJvm.NATIVE_ACCESS, BenchJvm.ADD_MODULES, BenchJvm.VECTOR_MODULE})
@Warmup(iterations = 2, time = 500, timeUnit = TimeUnit.MILLISECONDS)
@Measurement(iterations = 5, time = 500, timeUnit = TimeUnit.MILLISECONDS)
@State(Scope.Benchmark)
public class CpuOptimizerStepBench {
    @Param({"1048576", "16777216", "67108864"})
    public int size;

    @Param({"copy", "grda", "sgd", "sgd-momentum", "gsm", "gmp", "droppruning", "magnitude", "sdprun", "select"})
    public String kind;

    private Backend backend;
    private FlatStepFixture fixture;

    @Setup(Level.Trial)
    public void setUp() {
        backend = BenchDevice.CPU.open();
        fixture = FlatStepFixture.open(backend, StepKind.of(kind), size, 42);
    }

    @Benchmark
    public void step() {
        fixture.step();
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        fixture.close();
        backend.close();
    }

    FlatStepFixture fixture() { return fixture; }
}
