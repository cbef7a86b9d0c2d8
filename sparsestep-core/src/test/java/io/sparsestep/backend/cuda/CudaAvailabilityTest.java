package io.sparsestep.backend.cuda;

import org.junit.jupiter.api.Test;
import org.opentest4j.TestAbortedException;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * On a machine without CUDA (CI, this build host): opening the backend fails with the one
 * clear line, the doctor exits 2 with it, and the conformance test skips itself with it.
 * On a CUDA machine these tests are skipped instead (the conformance test runs).
 */
class CudaAvailabilityTest {

    private static String reasonOrSkip() {
        Optional<String> reason = CudaBackend.unavailableReason();
        assumeTrue(reason.isPresent(), "CUDA is available here; the conformance test runs instead");
        return reason.get();
    }

    @Test
    void reasonIsOneLineThatSaysHowToPointAtTheLibraries() {
        String reason = reasonOrSkip();
        assertFalse(reason.contains("\n"), reason);
        assertTrue(reason.startsWith("CUDA unavailable: "), reason);
        assertTrue(reason.contains("SPARSESTEP_CUDA_LIBDIR") || reason.contains("PTX") || reason.contains("GPU"), reason);
    }

    @Test
    void openThrowsTheSameReason() {
        String reason = reasonOrSkip();
        CudaUnavailableException e = assertThrows(CudaUnavailableException.class, CudaBackend::open);
        assertEquals(reason, e.getMessage());
    }

    @Test
    void conformanceTestSkipsWithTheReason() {
        String reason = reasonOrSkip();
        TestAbortedException e = assertThrows(TestAbortedException.class, CudaConformanceTest::requireCuda);
        assertTrue(e.getMessage().contains(reason), e.getMessage());
    }

    @Test
    void doctorExitsTwoAndPrintsTheReason() {
        String reason = reasonOrSkip();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        int code = CudaDoctor.run(new PrintStream(bytes, true, StandardCharsets.UTF_8));
        String out = bytes.toString(StandardCharsets.UTF_8);
        assertEquals(2, code, out);
        assertTrue(out.contains(reason), out);
    }

    @Test
    void rawPointerStepsValidateBeforeTouchingTheDriver() {
        IllegalArgumentException nullPointer = assertThrows(IllegalArgumentException.class,
                () -> CudaFusedSteps.grdaStep(0, 256, 512, 10, 0.1f, 0f, 0, 0));
        assertEquals("grdaStep: a parameter, gradient or state pointer is NULL", nullPointer.getMessage());
        IllegalArgumentException noBuffer = assertThrows(IllegalArgumentException.class,
                () -> CudaFusedSteps.sgdStep(256, 512, 0, 10, 0.1f, 0.9f, 0f, 0f, false, true, 0));
        assertEquals("sgdStep with momentum 0.9 needs a momentum buffer, got NULL", noBuffer.getMessage());
        IllegalArgumentException misaligned = assertThrows(IllegalArgumentException.class,
                () -> CudaFusedSteps.sgdStep(258, 512, 0, 10, 0.1f, 0f, 0f, 0f, false, true, 0));
        assertEquals("sgdStep: device pointer 0x102 is not float-aligned", misaligned.getMessage());
        assertThrows(IllegalArgumentException.class, () -> CudaFusedSteps.grdaStep(256, 512, 768, -1, 0.1f, 0f, 0, 0));
    }
}
