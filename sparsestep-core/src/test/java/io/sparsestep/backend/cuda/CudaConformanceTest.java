package io.sparsestep.backend.cuda;

import io.sparsestep.backend.Buffer;
import io.sparsestep.backend.Tensor;
import io.sparsestep.backend.cpu.CpuBackend;
import io.sparsestep.backend.cuda.ConformanceChecks.Result;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Every Backend op and both optimizer steps on the CUDA backend against the CPU backend
 * (the shared {@link ConformanceChecks} list, also run by {@code sparsestep doctor}), plus
 * the CUDA-only surfaces: the raw-pointer {@link CudaFusedSteps} API and error decoding
 * through the real libraries. Skipped, with the reason, where CUDA is unavailable.
 */
class CudaConformanceTest {
    private static CudaBackend cuda;
    private static CpuBackend cpu;

    /** Aborts (skips) the calling test with the one-line reason when CUDA cannot be opened here. */
    static void requireCuda() {
        Optional<String> reason = CudaBackend.unavailableReason();
        Assumptions.assumeTrue(reason.isEmpty(), () -> "skipped: " + reason.orElse(""));
    }

    @BeforeAll
    static void open() {
        // Open only where CUDA works; each test then skips itself (reported per test, with the reason) where it does not.
        if (CudaBackend.unavailableReason().isEmpty()) {
            cuda = CudaBackend.open();
            cpu = new CpuBackend();
        }
    }

    @BeforeEach
    void skipWithoutCuda() {
        requireCuda();
    }

    @AfterAll
    static void close() {
        if (cuda != null) cuda.close();
        if (cpu != null) cpu.close();
    }

    @TestFactory
    Stream<DynamicTest> cudaMatchesCpu() {
        return ConformanceChecks.all().stream().map(check -> DynamicTest.dynamicTest(check.name(), () -> {
            List<Result> results = check.run(cuda, cpu, CudaDoctor.SEED);
            List<Result> failed = results.stream().filter(r -> !r.passed()).toList();
            if (!failed.isEmpty()) fail(failed.stream().map(Result::line).collect(Collectors.joining("\n")));
        }));
    }

    @Test
    void rawPointerGrdaStepMatchesTheBackendOp() {
        int n = 1025;
        float[] g = new float[n], acc = new float[n];
        for (int i = 0; i < n; i++) {
            g[i] = (float) Math.sin(i);
            acc[i] = (float) Math.cos(3 * i);
        }
        try (Buffer buf = cuda.allocate(4L * n + 1, "fused"); Buffer ref = cpu.allocate(3L * n + 1, "fused.ref")) {
            Tensor w = new Tensor(buf, 0, n), gt = new Tensor(buf, n, n), at = new Tensor(buf, 2L * n, n), counter = new Tensor(buf, 3L * n, 1);
            Tensor rw = new Tensor(ref, 0, n), rg = new Tensor(ref, n, n), ra = new Tensor(ref, 2L * n, n);
            upload(cuda, gt, g);
            upload(cuda, at, acc);
            upload(cpu, rg, g);
            upload(cpu, ra, acc);
            cuda.synchronize(); // also makes the backend's context current on this thread
            CudaFusedSteps.grdaStep(w.address(), gt.address(), at.address(), n, 0.1f, 0.3f, counter.address(), cuda.stream());
            cpu.steps().grda(rw, rg, ra, 0.1f, 0.3f, null);
            float[] got = download(cuda, w), want = download(cpu, rw);
            for (int i = 0; i < n; i++) assertEquals(Float.floatToRawIntBits(want[i]), Float.floatToRawIntBits(got[i]), "w[" + i + "]");
            assertEquals(cpu.elementwise().countZeros(rw), cuda.readCounter(counter));
        }
    }

    @Test
    void driverErrorsCarryTheirCudaName() {
        CudaException e = assertThrows(CudaException.class, () -> cuda.driver().memAlloc(1L << 52));
        assertEquals("CUDA_ERROR_OUT_OF_MEMORY", e.errorName());
        assertTrue(e.getMessage().startsWith("cuMemAlloc_v2("), e.getMessage());
    }

    @Test
    void cudnnErrorsAreDecodedForTheLoadedMajorVersion() {
        CudaException e = assertThrows(CudaException.class, () -> cuda.cudnn().tensor4d(0, 0, 0, 0));
        assertTrue(e.errorName().startsWith("CUDNN_STATUS_BAD_PARAM"), e.getMessage());
    }

    @Test
    void convolutionWithoutWorkspaceFallsBackToAlgorithmsThatNeedNone() {
        var g = new io.sparsestep.backend.ConvGeometry(2, 64, 32, 32, 64, 3, 3, 1, 1, 1, 1);
        long words = cuda.convWorkspaceWords(g);
        int in = (int) g.inputSize(), filt = (int) g.filterSize(), out = (int) g.outputSize();
        try (Buffer b = cuda.allocate((long) in + filt + 2L * out + Math.max(1, words), "conv")) {
            Tensor x = new Tensor(b, 0, in), w = new Tensor(b, in, filt);
            Tensor yFull = new Tensor(b, (long) in + filt, out), yNone = new Tensor(b, (long) in + filt + out, out);
            Tensor ws = new Tensor(b, (long) in + filt + 2L * out, (int) words);
            float[] xs = new float[in], fs = new float[filt];
            for (int i = 0; i < in; i++) xs[i] = (float) Math.sin(0.37 * i);
            for (int i = 0; i < filt; i++) fs[i] = (float) Math.cos(0.11 * i) / 24;
            upload(cuda, x, xs);
            upload(cuda, w, fs);
            cuda.convForward(g, x, w, yFull, ws);
            try {
                cuda.convForward(g, x, w, yNone, null);
            } catch (IllegalArgumentException e) {
                // every algorithm needs scratch for this shape: the message must say how to size it
                assertTrue(e.getMessage().contains("convWorkspaceWords"), e.getMessage());
                return;
            }
            float[] a = download(cuda, yFull), c = download(cuda, yNone);
            double scale = 0, err = 0;
            for (int i = 0; i < out; i++) {
                scale = Math.max(scale, Math.abs(a[i]));
                err = Math.max(err, Math.abs(a[i] - c[i]));
            }
            assertTrue(err <= 1e-4 * scale, "max error " + err + " at scale " + scale);
        }
    }

    private static void upload(io.sparsestep.backend.Backend b, Tensor t, float[] data) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment host = arena.allocate(4L * data.length);
            MemorySegment.copy(data, 0, host, ValueLayout.JAVA_FLOAT, 0, data.length);
            b.upload(host, t);
        }
    }

    private static float[] download(io.sparsestep.backend.Backend b, Tensor t) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment host = arena.allocate(4L * t.size());
            b.download(t, host);
            return host.toArray(ValueLayout.JAVA_FLOAT);
        }
    }
}
