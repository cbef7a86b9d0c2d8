package io.sparsestep.backend.cuda;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code sparsestep doctor}'s three exit codes, from the real command in its own JVM (the
 * CUDA libraries it loads are the process's), on the fake CUDA stack whose kernel
 * launches run the real kernels: 0 when every check passes, 1 when one fails (the fake
 * driver corrupts one kernel's output on purpose), 2 when the driver sees no GPU.
 */
class DoctorExitCodesTest {

    @Test
    void allChecksPassExitsZero() throws IOException, InterruptedException {
        Doctor d = doctor(Map.of());
        assertEquals(0, d.code(), d.output());
        assertTrue(d.output().contains("GPU 0: Fake GPU"), d.output());
        assertTrue(d.output().matches("(?s).*doctor: all \\d+ checks PASS.*"), d.output());
    }

    @Test
    void aFailedCheckExitsOne() throws IOException, InterruptedException {
        Doctor d = doctor(Map.of("FAKE_CUDA_BREAK_KERNEL", "grda_step"));
        assertEquals(1, d.code(), d.output());
        assertTrue(d.output().lines().anyMatch(l -> l.contains("steps.grda.w") && l.contains("FAIL")), d.output());
        assertTrue(d.output().matches("(?s).*doctor: \\d+ of \\d+ checks FAIL.*"), d.output());
    }

    @Test
    void noUsableGpuExitsTwo() throws IOException, InterruptedException {
        Doctor d = doctor(Map.of("FAKE_CUDA_DEVICE_COUNT", "0"));
        assertEquals(2, d.code(), d.output());
        assertTrue(d.output().contains("sees no GPU"), d.output());
    }

    private record Doctor(int code, String output) {}

    private static Doctor doctor(Map<String, String> fakeSettings) throws IOException, InterruptedException {
        Path libs = FakeCudaStack.libraryDir();
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder pb = new ProcessBuilder(List.of(java, "--enable-native-access=ALL-UNNAMED", "--add-modules", "jdk.incubator.vector",
                "-cp", System.getProperty("java.class.path"), "io.sparsestep.cli.Main", "doctor")).redirectErrorStream(true);
        pb.environment().put(CudaLibraryLocator.LIBDIR_ENV, libs.toString());
        pb.environment().putAll(fakeSettings);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        return new Doctor(p.waitFor(), out);
    }
}
