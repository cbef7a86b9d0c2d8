package io.sparsestep.bench;

import io.sparsestep.backend.Backend;
import io.sparsestep.backend.Buffer;
import io.sparsestep.backend.Tensor;
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

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.TimeUnit;

/**
 * One square fp32 GEMM, C = A B (n x n x n, 2 n^3 floating-point operations), on the CPU
 * backend: the FLOP/s the backend's dense kernel reaches on this machine, the yardstick for
 * how close a training step's convolutions and linear layers come (docs/PERFORMANCE.md). In
 * no plan of {@code sparsestep bench}; run it by name through JMH's runner.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {BenchJvm.NATIVE_ACCESS, BenchJvm.ADD_MODULES, BenchJvm.VECTOR_MODULE})
@Warmup(iterations = 4, time = 1, timeUnit = TimeUnit.SECONDS)
@Measurement(iterations = 5, time = 1, timeUnit = TimeUnit.SECONDS)
@State(Scope.Benchmark)
public class CpuGemmBench {
    @Param({"512", "1024", "2048"})
    public int n;

    private Backend backend;
    private Tensor a, b, c;

    @Setup(Level.Trial)
    public void setUp() {
        backend = BenchDevice.CPU.open();
        a = filled("gemm.a", 0.5f);
        b = filled("gemm.b", 0.25f);
        c = new Tensor(backend.allocate((long) n * n, "gemm.c"), 0, n, n);
    }

    /** An n x n matrix of one normal value: the kernel's speed does not depend on the values (no denormals). */
    private Tensor filled(String label, float value) {
        Buffer buffer = backend.allocate((long) n * n, label);
        Tensor t = new Tensor(buffer, 0, n, n);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment host = arena.allocate(4L * n * n, 64);
            for (long i = 0; i < (long) n * n; i++) host.setAtIndex(ValueLayout.JAVA_FLOAT, i, value);
            backend.upload(host, t);
            backend.synchronize();
        }
        return t;
    }

    @Benchmark
    public void gemm() {
        backend.gemm(false, false, n, n, n, 1f, a, b, 0f, c);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        backend.close();
    }
}
