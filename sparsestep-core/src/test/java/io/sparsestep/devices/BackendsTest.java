package io.sparsestep.devices;

import io.sparsestep.backend.Backend;
import io.sparsestep.backend.BackendOutOfMemoryException;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;

import static org.junit.jupiter.api.Assertions.*;

class BackendsTest {
    @Test
    void headlineKeepsWhatIsMissing() {
        assertEquals("the CUDA driver (libcuda.so.1) not found",
                Backends.headline("CUDA unavailable: the CUDA driver (libcuda.so.1) not found; searched X; fix: Y"));
        assertEquals("no GPU", Backends.headline("no GPU"));
    }

    @Test
    void cpuIsTheCpuBackendAndUnknownIsRejected() {
        PrintStream log = new PrintStream(new ByteArrayOutputStream());
        try (Backend be = Backends.open("cpu", log)) {
            assertEquals("cpu", be.name());
        }
        assertThrows(IllegalArgumentException.class, () -> Backends.open("tpu", log));
    }

    @Test
    void aGpuIsChosenByOrdinal() {
        assertEquals(0, Backends.gpuOrdinal("cuda:0"));
        assertEquals(3, Backends.gpuOrdinal("cuda:3"));
        PrintStream log = new PrintStream(new ByteArrayOutputStream());
        for (String bad : new String[] {"cuda:", "cuda:-1", "cuda:x", "cuda:1.5", "cuda:99999"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Backends.open(bad, log), bad);
            assertTrue(e.getMessage().contains("cuda:N"), e.getMessage());
        }
    }

    @Test
    void autoFallsBackToTheCpuWithOneLineWhenNoGpu() {
        org.junit.jupiter.api.Assumptions.assumeTrue(io.sparsestep.backend.cuda.CudaBackend.unavailableReason().isPresent(),
                "a GPU is present: auto picks it");
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (Backend be = Backends.open("auto", new PrintStream(bytes, true))) {
            assertEquals("cpu", be.name());
        }
        String said = bytes.toString();
        assertEquals(1, said.strip().lines().count(), said);
        assertTrue(said.contains("using the CPU backend") && said.length() < 200, said);
    }

    @Test
    void anAllocationThatCannotFitSaysWhichBufferAndWhatToDo() {
        try (Backend be = new io.sparsestep.backend.cpu.CpuBackend(1)) {
            // 2^61 bytes: no machine has that, so the allocation fails however much memory is free
            BackendOutOfMemoryException e = assertThrows(BackendOutOfMemoryException.class,
                    () -> be.allocate(1L << 59, "workspace"));
            assertTrue(e.getMessage().contains("'workspace'") && e.getMessage().contains("--batch-size"), e.getMessage());
            assertEquals(1, e.getMessage().lines().count());
        }
    }
}
