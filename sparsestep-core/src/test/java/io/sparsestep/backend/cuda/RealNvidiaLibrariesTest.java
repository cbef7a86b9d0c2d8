package io.sparsestep.backend.cuda;

import io.sparsestep.backend.ConvGeometry;
import io.sparsestep.backend.PoolGeometry;
import io.sparsestep.backend.PoolMode;
import io.sparsestep.backend.cuda.CudaLibraryLoader.CublasLibraries;
import io.sparsestep.backend.cuda.CudaLibraryLoader.CudnnLibraries;
import io.sparsestep.backend.cuda.CudaLibraryLoader.LoadedLibrary;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The real NVIDIA cuBLAS and cuDNN (not the fakes of {@link FakeCudaStackTest}) through the
 * product's own search, loader and bindings, on a machine that needs no GPU: everything here
 * is host-side (loading, symbol binding, versions, status names, descriptors and cuDNN's
 * own shape arithmetic). What it proves that the fakes cannot: the sonames, the load order
 * of cuBLAS/cuDNN sub-libraries, that every function we bind exists in the shipped library,
 * that our enum values and argument orders are accepted by cuDNN, and that our status
 * tables say what the libraries say.
 *
 * <p>Runs wherever the system search finds the libraries (a GPU host's Python wheels, or
 * {@code SPARSESTEP_CUDA_LIBDIR}; {@code native-build/fetch-nvidia-libs.sh} downloads
 * cuBLAS 12 and cuDNN 9 for a machine without them); skipped with the reason elsewhere.
 */
@SuppressWarnings("restricted")
class RealNvidiaLibrariesTest {
    private static CudaLibraryLoader loader;
    private static CublasLibraries blas;
    private static CudnnLibraries dnn;
    private static Cudnn cudnn;
    private static String missing;

    @BeforeAll
    static void load() {
        loader = new CudaLibraryLoader(CudaLibraryLocator.system(), CudaLibraryLoader.DLOPEN);
        try {
            blas = loader.loadCublas();
            dnn = loader.loadCudnn();
            cudnn = Cudnn.withoutHandle(dnn);
        } catch (CudaUnavailableException e) {
            missing = "no real cuBLAS and cuDNN on this machine; native-build/fetch-nvidia-libs.sh fetches them (" + e.getMessage() + ")";
        }
    }

    @BeforeEach
    void requireLibraries() {
        assumeTrue(missing == null, missing);
    }

    @AfterAll
    static void close() {
        if (cudnn != null) cudnn.close();
    }

    @Test
    void cublasLtAndEveryCudnnSubLibraryLoadFirstFromTheSameDirectory() throws IOException {
        List<LoadedLibrary> order = loader.loaded();
        assertNotNull(blas.cublasLt(), "libcublasLt next to " + blas.cublas().describe() + " was not loaded");
        assertEquals(blas.cublas().from().directory(), blas.cublasLt().from().directory());
        assertTrue(order.indexOf(blas.cublasLt()) < order.indexOf(blas.cublas()), "cublasLt must load before cublas: " + order);

        Path dir = dnn.cudnn().from().directory();
        String suffix = ".so." + dnn.major();
        List<String> onDisk;
        try (Stream<Path> files = Files.list(dir)) {
            onDisk = files.map(p -> p.getFileName().toString())
                    .filter(n -> n.startsWith("libcudnn_") && n.endsWith(suffix)).sorted().toList();
        }
        List<String> loaded = dnn.subLibraries().stream().map(LoadedLibrary::soname).sorted().toList();
        assertEquals(onDisk, loaded, "every cuDNN sub-library in " + dir + " loads (notes: " + loader.notes() + ")");
        for (LoadedLibrary sub : dnn.subLibraries()) {
            assertTrue(order.indexOf(sub) < order.indexOf(dnn.cudnn()), sub.soname() + " must load before " + dnn.cudnn().soname());
        }
    }

    @Test
    void versionsAgreeWithTheSonames() throws Throwable {
        long v = cudnn.version();
        int major = (int) (v >= 90000 ? v / 10000 : v / 1000);
        assertEquals(dnn.major(), major, "cudnnGetVersion() = " + v + " from " + dnn.cudnn().describe());
        assertTrue(Cudnn.versionString(v).startsWith(major + "."), Cudnn.versionString(v));

        // cublasGetProperty(MAJOR_VERSION = 0, *value) needs no handle.
        MethodHandle property = Linker.nativeLinker().downcallHandle(blas.cublas().lookup().find("cublasGetProperty").orElseThrow(),
                FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.ADDRESS));
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(ValueLayout.JAVA_INT);
            assertEquals(0, (int) property.invokeExact(0, out));
            assertEquals(blas.cublas().major(), out.get(ValueLayout.JAVA_INT, 0), blas.cublas().describe());
        }
    }

    /**
     * cudnnGetErrorString names every status code the library knows; ours must agree on each
     * (a code newer than our table may be named by its category: CUDNN_STATUS_BAD_PARAM_2099).
     */
    @Test
    void cudnnStatusNamesAreTheLibrarys() {
        List<String> wrong = new ArrayList<>();
        int named = 0;
        for (int code = 0; code < 6000; code++) {
            String theirs = cudnn.libraryStatusName(code);
            if (theirs == null || !theirs.startsWith("CUDNN_STATUS_") || theirs.contains("UNKNOWN")) continue;
            named++;
            String ours = CudaErrorNames.cudnnStatus(code, dnn.major());
            boolean categoryFallback = ours.endsWith("_" + code) && theirs.startsWith(ours.substring(0, ours.length() - 1 - String.valueOf(code).length()));
            if (!ours.equals(theirs) && !categoryFallback) wrong.add(code + ": ours " + ours + ", cuDNN " + theirs);
        }
        assertTrue(named > 20, "cudnnGetErrorString named only " + named + " codes");
        assertTrue(wrong.isEmpty(), String.join("\n", wrong));
    }

    @Test
    void cublasStatusNamesAreTheLibrarys() throws Throwable {
        Optional<MemorySegment> fn = blas.cublas().lookup().find("cublasGetStatusName");
        assumeTrue(fn.isPresent(), blas.cublas().describe() + " has no cublasGetStatusName");
        MethodHandle name = Linker.nativeLinker().downcallHandle(fn.get(), FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
        List<String> wrong = new ArrayList<>();
        int named = 0;
        for (int code = 0; code < 64; code++) {
            String theirs = NativeBinder.cString((MemorySegment) name.invokeExact(code));
            if (theirs == null || !theirs.startsWith("CUBLAS_STATUS_") || theirs.contains("UNKNOWN")) continue;
            named++;
            String ours = CudaErrorNames.cublasStatus(code);
            if (!ours.equals(theirs)) wrong.add(code + ": ours " + ours + ", cuBLAS " + theirs);
        }
        assertTrue(named >= 10, "cublasGetStatusName named only " + named + " codes");
        assertTrue(wrong.isEmpty(), String.join("\n", wrong));
    }

    /**
     * Without a GPU, making a handle fails, and it fails at cudnnCreate / cublasCreate_v2:
     * so every function the bindings look up before that exists in the shipped libraries,
     * and the error arrives as our one-line message with the library's status decoded.
     */
    @Test
    void withoutAGpuHandleCreationFailsWithTheDecodedStatus() {
        assumeTrue(noDriver(), "a CUDA driver is installed here; CudaConformanceTest covers handles");
        CudaException dnnError = assertThrows(CudaException.class, () -> Cudnn.create(dnn, 0));
        assertEquals("cudnnCreate", dnnError.function());
        assertEquals(cudnn.libraryStatusName(dnnError.code()), dnnError.errorName(), dnnError.getMessage());
        assertTrue(dnnError.getMessage().startsWith("cudnnCreate failed: CUDNN_STATUS_"), dnnError.getMessage());
        assertTrue(!dnnError.getMessage().contains("\n"), "one line");

        CudaException blasError = assertThrows(CudaException.class, () -> Cublas.create(blas, 0));
        assertEquals("cublasCreate_v2", blasError.function());
        assertEquals("CUBLAS_STATUS_NOT_INITIALIZED", blasError.errorName(), blasError.getMessage());
    }

    /**
     * Every convolution shape family our models use, and awkward ones, built as cuDNN
     * descriptors (tensor NCHW, filter with data type before format, cross-correlation with
     * FMA math): cuDNN accepts them and its output shape is ConvGeometry's (ConvPlan checks).
     */
    @Test
    void cudnnAgreesWithConvGeometryOnEveryShape() {
        int plans = 0;
        for (int size : new int[] {1, 2, 5, 7, 8, 28, 32})
            for (int r : new int[] {1, 3, 5, 7})
                for (int stride : new int[] {1, 2, 3})
                    for (int pad = 0; pad <= r / 2 + 1; pad++) {
                        if (size + 2 * pad < r) continue;
                        ConvGeometry g = new ConvGeometry(3, 5, size, size + 3, 7, r, Math.max(1, r - 2), stride, Math.max(1, stride - 1), pad, pad / 2);
                        try (ConvPlan plan = new ConvPlan(cudnn, g)) {
                            int[] out = cudnn.convolutionOutput(plan.conv, plan.x, plan.w);
                            assertEquals(List.of(g.n(), g.k(), g.outH(), g.outW()), List.of(out[0], out[1], out[2], out[3]), g.toString());
                            plans++;
                        }
                    }
        // The real model shapes at training batch size.
        for (ConvGeometry g : List.of(
                new ConvGeometry(128, 1, 28, 28, 6, 5, 5, 1, 1, 0, 0),        // lenet5 conv1
                new ConvGeometry(128, 6, 12, 12, 16, 5, 5, 1, 1, 0, 0),       // lenet5 conv2
                new ConvGeometry(128, 3, 32, 32, 64, 3, 3, 1, 1, 1, 1),       // vgg16 first
                new ConvGeometry(128, 512, 2, 2, 512, 3, 3, 1, 1, 1, 1),      // vgg16 last
                new ConvGeometry(128, 16, 32, 32, 32, 3, 3, 2, 2, 1, 1),      // resnet stage change
                new ConvGeometry(128, 16, 32, 32, 32, 1, 1, 2, 2, 0, 0),      // resnet projection
                new ConvGeometry(128, 640, 8, 8, 640, 3, 3, 1, 1, 1, 1))) {   // wrn28-10 last stage
            try (ConvPlan plan = new ConvPlan(cudnn, g)) {
                plans++;
            }
        }
        assertTrue(plans > 200, "only " + plans + " geometries");
    }

    @Test
    void cudnnAgreesWithPoolGeometryOnEveryShape() {
        int plans = 0;
        for (PoolMode mode : PoolMode.values())
            for (int size : new int[] {1, 2, 3, 7, 8, 32})
                for (int window = 1; window <= 4; window++)
                    for (int stride = 1; stride <= 3; stride++)
                        for (int pad = 0; pad < window; pad++) {
                            if (size + 2 * pad < window) continue;
                            PoolGeometry g = new PoolGeometry(2, 3, size, size + 1, window, Math.max(1, window - 1), stride, stride, pad, Math.min(pad, window - 2 < 0 ? 0 : window - 2));
                            try (PoolPlan plan = new PoolPlan(cudnn, mode, g)) {
                                int[] out = cudnn.poolingOutput(plan.pool, plan.x);
                                assertEquals(List.of(g.n(), g.c(), g.outH(), g.outW()), List.of(out[0], out[1], out[2], out[3]), mode + " " + g);
                                plans++;
                            }
                        }
        // global average pool of resnet20/wrn (8x8 plane) and vgg's 2x2 max pool
        try (PoolPlan global = new PoolPlan(cudnn, PoolMode.AVERAGE, new PoolGeometry(128, 64, 8, 8, 8, 8, 8, 8, 0, 0));
             PoolPlan max = new PoolPlan(cudnn, PoolMode.MAX, new PoolGeometry(128, 64, 32, 32, 2, 2, 2, 2, 0, 0))) {
            plans += 2;
        }
        assertTrue(plans > 200, "only " + plans + " geometries");
    }

    @Test
    void batchNormDescriptorsAreAccepted() {
        for (BatchNormPlan.Key k : List.of(new BatchNormPlan.Key(128, 64, 1024), new BatchNormPlan.Key(2, 3, 1),
                new BatchNormPlan.Key(128, 640, 64), new BatchNormPlan.Key(7, 1, 13))) {
            try (BatchNormPlan plan = new BatchNormPlan(cudnn, k)) {
                assertTrue(plan.x != 0 && plan.channel != 0, k.toString());
            }
        }
    }

    /** A machine with the libraries but no driver: the doctor still names both, with versions and paths. */
    @Test
    void theDoctorSurveyNamesBothLibrariesWithVersions() {
        List<String> lines = CudaDoctor.librarySurvey(CudaLibraryLocator.system());
        String cublasLine = lines.stream().filter(l -> l.startsWith("cuBLAS ")).findFirst().orElseThrow(() -> new AssertionError(lines));
        String cudnnLine = lines.stream().filter(l -> l.startsWith("cuDNN ")).findFirst().orElseThrow(() -> new AssertionError(lines));
        assertTrue(cublasLine.startsWith("cuBLAS " + blas.cublas().major() + ".") && cublasLine.contains(blas.cublas().from().file().toString()), cublasLine);
        assertTrue(cudnnLine.startsWith("cuDNN " + Cudnn.versionString(cudnn.version())) && cudnnLine.contains(dnn.cudnn().from().file().toString()), cudnnLine);
    }

    @Test
    void aHandlelessInstanceRefusesDeviceWork() {
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> cudnn.poolingForward(0, 0, 0, 0, 0));
        assertTrue(e.getMessage().contains("no handle"), e.getMessage());
    }

    private static boolean noDriver() {
        try {
            new CudaLibraryLoader(CudaLibraryLocator.system(), CudaLibraryLoader.DLOPEN).loadDriver();
            return false;
        } catch (CudaUnavailableException e) {
            return true;
        }
    }
}
