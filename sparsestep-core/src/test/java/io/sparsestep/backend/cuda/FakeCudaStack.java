package io.sparsestep.backend.cuda;

import io.sparsestep.backend.cuda.CudaLibraryLoader.CublasLibraries;
import io.sparsestep.backend.cuda.CudaLibraryLoader.CudnnLibraries;
import io.sparsestep.backend.cuda.CudaLibraryLoader.LoadedLibrary;
import io.sparsestep.backend.cuda.CudaLibraryLocator.Environment;
import io.sparsestep.testing.NativeToolchain;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * The fake CUDA stack of the GPU-free tests, built once per test JVM: a libcuda, cuBLAS(+Lt)
 * and cuDNN(+graph) compiled from fake/*.c that keep "device" memory on the host, whose
 * cuLaunchKernel runs the <b>real</b> kernels/*.cu, compiled for the host through
 * native-build/emulate/cuda_host_shim.h (threads of a block as cooperative fibers). So the
 * Java bindings, the committed PTX's entry names and the kernel code itself all run as on
 * a GPU, minus the GPU. The libraries are loaded once (a process loads a soname once).
 */
@SuppressWarnings("restricted")
final class FakeCudaStack {
    private static Path dir;
    private static Loaded loaded;

    /** What the loaded stack consists of. */
    record Loaded(LoadedLibrary driverLibrary, CudaDriver driver, CublasLibraries blas, CudnnLibraries dnn) {
        /** A new backend on device 0 with the committed PTX (the fake driver finds each kernel by its .entry name). */
        CudaBackend open() {
            return CudaBackend.open(driver, 0, blas, dnn, LoadedKernels::readPtx);
        }
    }

    private FakeCudaStack() {}

    /** The folder holding the built libraries (built on first use, deleted when the JVM exits). */
    static synchronized Path libraryDir() {
        if (dir == null) {
            NativeToolchain.require("gcc", "g++");
            try {
                Path d = Files.createTempDirectory("fake-cuda");
                Runtime.getRuntime().addShutdownHook(new Thread(() -> deleteTree(d)));
                build(d);
                dir = d;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
        return dir;
    }

    /** The stack loaded into this JVM (once), the driver initialised. */
    static synchronized Loaded load() {
        if (loaded == null) {
            Path d = libraryDir();
            Path empty;
            try {
                empty = Files.createDirectories(d.resolve("empty-root"));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            CudaLibraryLocator locator = new CudaLibraryLocator(new Environment(k -> null,
                    k -> k.equals(CudaLibraryLocator.LIBDIR_PROPERTY) ? d.toString() : null, empty, empty));
            CudaLibraryLoader loader = new CudaLibraryLoader(locator, CudaLibraryLoader.DLOPEN);
            LoadedLibrary driverLib = loader.loadDriver();
            CublasLibraries blas = loader.loadCublas();
            CudnnLibraries dnn = loader.loadCudnn();
            CudaDriver driver = new CudaDriver(driverLib.lookup());
            driver.init();
            loaded = new Loaded(driverLib, driver, blas, dnn);
        }
        return loaded;
    }

    /** Source folder of the fake libraries. */
    static Path sources() {
        return NativeToolchain.repository().resolve("sparsestep-core/src/test/java/io/sparsestep/backend/cuda/fake");
    }

    private static void build(Path d) throws IOException, InterruptedException {
        Path repo = NativeToolchain.repository();
        NativeToolchain.run(List.of("bash", repo.resolve("native-build/emulate/build.sh").toString(), "library", d.toString()));
        gcc(d, "fake_cuda.c", "libcuda.so.1", "libfakecuda.so.1", "-L" + d, "-l:libsparsestep_hostkernels.so",
                "-Wl,-rpath," + d, "-lm");
        gcc(d, "fake_cublaslt.c", "libcublasLt.so.13", "libfakecublasLt.so.13");
        gcc(d, "fake_cublas.c", "libcublas.so.13", "libfakecublas.so.13", "-L" + d, "-l:libcublasLt.so.13");
        gcc(d, "fake_cudnn_graph.c", "libcudnn_graph.so.9", "libfakecudnn_graph.so.9");
        gcc(d, "fake_cudnn.c", "libcudnn.so.9", "libfakecudnn.so.9", "-ldl", "-lm");
    }

    static void gcc(Path d, String source, String file, String soname, String... libs) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("gcc", "-O1", "-ffp-contract=off", "-fPIC", "-shared", "-Wl,-soname," + soname,
                "-o", d.resolve(file).toString(), sources().resolve(source).toString()));
        cmd.addAll(Arrays.asList(libs));
        NativeToolchain.run(cmd);
    }

    // ------------------------------------------------------------------ calls into the fakes' test hooks

    static long longCall(SymbolLookup lib, String name) {
        try {
            MethodHandle h = Linker.nativeLinker().downcallHandle(lib.find(name).orElseThrow(), FunctionDescriptor.of(ValueLayout.JAVA_LONG));
            return (long) h.invokeExact();
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** A {@code const char* f(void)} hook's answer. */
    static String stringCall(SymbolLookup lib, String name) {
        try {
            MethodHandle h = Linker.nativeLinker().downcallHandle(lib.find(name).orElseThrow(), FunctionDescriptor.of(ValueLayout.ADDRESS));
            MemorySegment s = (MemorySegment) h.invokeExact();
            return s.reinterpret(Long.MAX_VALUE).getString(0);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** A {@code long long f(const char*)} hook's answer. */
    static long longCallWithString(SymbolLookup lib, String name, String argument) {
        try (Arena arena = Arena.ofConfined()) {
            MethodHandle h = Linker.nativeLinker().downcallHandle(lib.find(name).orElseThrow(),
                    FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.ADDRESS));
            return (long) h.invokeExact(arena.allocateFrom(argument));
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** A {@code void f(const char*)} hook. */
    static void voidCallWithString(SymbolLookup lib, String name, String argument) {
        try (Arena arena = Arena.ofConfined()) {
            MethodHandle h = Linker.nativeLinker().downcallHandle(lib.find(name).orElseThrow(), FunctionDescriptor.ofVoid(ValueLayout.ADDRESS));
            h.invokeExact(arena.allocateFrom(argument));
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    private static void deleteTree(Path d) {
        try (Stream<Path> files = Files.walk(d)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        } catch (IOException ignored) {
            // a temp folder left behind is harmless
        }
    }
}
