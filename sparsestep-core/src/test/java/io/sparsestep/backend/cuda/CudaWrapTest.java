package io.sparsestep.backend.cuda;

import io.sparsestep.backend.Buffer;
import io.sparsestep.backend.Tensor;
import io.sparsestep.backend.cpu.CpuBackend;
import io.sparsestep.optim.Optimizer;
import io.sparsestep.params.ParamLayout;
import io.sparsestep.params.ParamSpace;
import io.sparsestep.testing.EmbeddedModel;
import io.sparsestep.testing.EmbeddedModel.Method;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static io.sparsestep.testing.Bits.assertSameBits;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * {@link CudaBackend#wrap} on the fake CUDA stack ({@link FakeCudaStack}): device memory a
 * framework allocated with its own cuMemAlloc, wrapped into a {@link ParamSpace} and stepped
 * by the real kernels (compiled for the host), equal to the CPU bit for bit; wrapping
 * allocates and frees nothing, counted by this backend and by the fake driver.
 */
class CudaWrapTest {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT;
    private static FakeCudaStack.Loaded stack;
    private static CudaBackend cuda;
    private static CpuBackend cpu;

    @BeforeAll
    static void open() {
        stack = FakeCudaStack.load();
        cuda = stack.open();
        cpu = new CpuBackend(2);
    }

    @AfterAll
    static void close() {
        if (cuda != null) cuda.close();
        if (cpu != null) cpu.close();
    }

    @ParameterizedTest
    @EnumSource(Method.class)
    void stepsOnFrameworkDevicePointersEqualTheCpuBitForBit(Method method) {
        ParamLayout layout = ParamLayout.of(EmbeddedModel.tensors());
        long bytes = 4 * layout.words();
        float[] expected = EmbeddedModel.reference(cpu, layout, method);
        CudaDriver driver = stack.driver();
        driver.setCurrent(cuda.context());
        long liveBefore = liveDeviceAllocations();
        // the framework's own allocations, as its allocator would make them
        long params = driver.memAlloc(bytes), grads = driver.memAlloc(bytes);
        try (Arena host = Arena.ofConfined()) {
            MemorySegment staging = host.allocate(bytes, 64);
            toDevice(staging, EmbeddedModel.values(layout, 0), params);
            long allocations = cuda.allocationCount(), inUse = cuda.bytesInUse();
            float[] stepped;
            try (ParamSpace space = ParamSpace.wrap(cuda, layout, params, grads)) {
                assertEquals(allocations, cuda.allocationCount(), "wrapping allocates nothing");
                assertEquals(inUse, cuda.bytesInUse(), "wrapped memory is not counted as in use");
                assertEquals(liveBefore + 2, liveDeviceAllocations());
                try (Optimizer optimizer = method.build(space)) {
                    EmbeddedModel.steps(optimizer, s -> toDevice(staging, EmbeddedModel.values(layout, s), grads));
                }
                stepped = space.values().toHost();
            }
            assertSameBits(expected, stepped, method + " on wrapped device pointers");
            assertEquals(liveBefore + 2, liveDeviceAllocations(), "closing the space and the optimizer freed exactly the optimizer's state");
            assertEquals(inUse, cuda.bytesInUse());
            driver.memcpyDtoHAsync(staging, params, bytes, cuda.stream());
            driver.streamSynchronize(cuda.stream());
            assertSameBits(expected, staging.toArray(F), method + ": the framework's device memory after closing");
        } finally {
            driver.memFree(params);
            driver.memFree(grads);
        }
        assertEquals(liveBefore, liveDeviceAllocations());
    }

    @Test
    void closingTheBackendLeavesWrappedMemoryAlone() {
        CudaDriver driver = stack.driver();
        long base = liveDeviceAllocations();
        CudaBackend other = stack.open();
        long p = driver.memAlloc(64);
        try {
            long live = liveDeviceAllocations();
            Buffer b = other.wrap(p, 16, "x");
            other.elementwise().fill(new Tensor(b, 0, 16), 3f);
            b.close();
            b.close();
            assertEquals(live, liveDeviceAllocations(), "closing a wrapped buffer frees nothing");
            Buffer again = other.wrap(p, 16, "y");
            other.close();
            assertEquals(base + 1, liveDeviceAllocations(), "closing the backend frees its own memory and nothing wrapped");
            again.close();
            try (Arena host = Arena.ofConfined()) {
                MemorySegment back = host.allocate(64, 64);
                driver.setCurrent(cuda.context());
                driver.memcpyDtoHAsync(back, p, 64, cuda.stream());
                driver.streamSynchronize(cuda.stream());
                assertEquals(3f, back.getAtIndex(F, 15));
            }
        } finally {
            other.close();
            driver.setCurrent(cuda.context());
            driver.memFree(p);
        }
    }

    @Test
    void badPointersAndSizesAreOneLineNamingTheArgument() {
        refused(() -> cuda.wrap(0, 4, "p"), "wrap 'p': address is 0 (a null pointer); pass the address of memory you allocated");
        refused(() -> cuda.wrap(0x7f0000000002L, 4, "p"),
                "wrap 'p': address 0x7f0000000002 is not 4-byte aligned; float32 memory must start on a 4-byte boundary");
        refused(() -> cuda.wrap(0x7f0000000000L, -3, "p"), "wrap 'p': words must be >= 0, got -3");
    }

    private static void toDevice(MemorySegment staging, float[] values, long devicePointer) {
        MemorySegment.copy(values, 0, staging, F, 0, values.length);
        stack.driver().memcpyHtoDAsync(devicePointer, staging, 4L * values.length, cuda.stream());
        stack.driver().streamSynchronize(cuda.stream()); // the staging buffer is reused for the next step
    }

    private static long liveDeviceAllocations() {
        return FakeCudaStack.longCall(stack.driverLibrary().lookup(), "fake_live_allocations");
    }

    private static void refused(Executable call, String message) {
        assertEquals(message, assertThrows(IllegalArgumentException.class, call).getMessage());
    }
}
