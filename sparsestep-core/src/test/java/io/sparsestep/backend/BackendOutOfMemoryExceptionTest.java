package io.sparsestep.backend;

import io.sparsestep.backend.cpu.CpuBackend;
import org.junit.jupiter.api.Test;

import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

class BackendOutOfMemoryExceptionTest {
    /**
     * The CPU hint must be true: the buffers come from Arena.allocate, which
     * -XX:MaxDirectMemorySize does not bound. A child JVM with a 1 MiB direct-memory limit
     * allocates 16 MiB from an arena to show it.
     */
    @Test
    void cpuHintNamesHostMemoryNotAJvmFlag(@TempDir Path dir) throws Exception {
        Path probe = Files.writeString(dir.resolve("Probe.java"), """
                public class Probe {
                    public static void main(String[] a) {
                        try (var arena = java.lang.foreign.Arena.ofShared()) {
                            System.out.print(arena.allocate(16L << 20, 64).byteSize());
                        }
                    }
                }
                """);
        String java = ProcessHandle.current().info().command().orElseThrow();
        Process p = new ProcessBuilder(java, "-XX:MaxDirectMemorySize=1m", probe.toString()).redirectErrorStream(true).start();
        String said = new String(p.getInputStream().readAllBytes());
        assertEquals(0, p.waitFor(), said);
        String last = said.strip().lines().reduce((a, b) -> b).orElse(""); // after any "Picked up ..." JVM notice
        assertEquals(String.valueOf(16L << 20), last, "an arena allocation is bounded by -XX:MaxDirectMemorySize after all: " + said);

        String msg = new BackendOutOfMemoryException("cpu", "x", 1L << 34, 0, null).getMessage();
        assertTrue(msg.contains("lower --batch-size") && msg.contains("host memory"), msg);
        assertFalse(msg.contains("=-XX:MaxDirectMemorySize"), "advice that cannot help: " + msg);
        assertFalse(new BackendOutOfMemoryException("GPU", "x", 1L << 34, 0, null).getMessage().contains("host memory"));
    }

    @Test
    void cpuBackendReportsAFailedAllocationWithTheHint() {
        try (CpuBackend be = new CpuBackend()) {
            // far beyond any host's memory and address space the kernel would grant
            BackendOutOfMemoryException e = assertThrows(BackendOutOfMemoryException.class, () -> be.allocate(1L << 50, "huge"));
            assertTrue(e.getMessage().contains("'huge'") && e.getMessage().contains("host memory"), e.getMessage());
        }
    }
}
