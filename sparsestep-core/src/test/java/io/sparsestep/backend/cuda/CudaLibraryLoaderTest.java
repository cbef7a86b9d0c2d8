package io.sparsestep.backend.cuda;

import io.sparsestep.backend.cuda.CudaLibraryLoader.CublasLibraries;
import io.sparsestep.backend.cuda.CudaLibraryLoader.CudnnLibraries;
import io.sparsestep.backend.cuda.CudaLibraryLocator.Candidate;
import io.sparsestep.backend.cuda.CudaLibraryLocator.Environment;
import io.sparsestep.backend.cuda.CudaLibraryLocator.Library;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.SymbolLookup;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What {@link CudaLibraryLoader} opens, in which order, and what it says when it cannot,
 * with dlopen replaced by a recorder: files "load" unless listed as broken; sonames load
 * through the "system loader" only when listed as installed there.
 */
class CudaLibraryLoaderTest {
    @TempDir
    Path tmp;

    private final Map<String, String> env = new HashMap<>();
    private final List<String> opened = new ArrayList<>();
    private final Set<String> brokenFiles = new HashSet<>();
    private final Set<String> systemSonames = new HashSet<>();

    private final CudaLibraryLoader.Opener recorder = c -> {
        String name = c.isFile() ? c.file().getFileName().toString() : c.soname();
        if (c.isFile() && brokenFiles.contains(name)) throw new IllegalArgumentException("Cannot open library: " + c.file());
        if (!c.isFile() && !systemSonames.contains(name)) throw new IllegalArgumentException("Cannot open library: " + name);
        opened.add((c.isFile() ? "file:" : "loader:") + name);
        return SymbolLookup.loaderLookup();
    };

    private CudaLibraryLoader loader() throws IOException {
        Files.createDirectories(tmp.resolve("root"));
        Files.createDirectories(tmp.resolve("home"));
        CudaLibraryLocator locator = new CudaLibraryLocator(new Environment(env::get, k -> null, tmp.resolve("root"), tmp.resolve("home")));
        return new CudaLibraryLoader(locator, recorder);
    }

    private Path wheel(String sub, String... files) throws IOException {
        Path dir = tmp.resolve("root/usr/local/lib/python3.12/site-packages").resolve(sub);
        Files.createDirectories(dir);
        for (String f : files) Files.createFile(dir.resolve(f));
        return dir;
    }

    @Test
    void cublasLtFromTheSameDirectoryLoadsBeforeCublas() throws IOException {
        Path dir = wheel("nvidia/cu13/lib", "libcublas.so.13", "libcublasLt.so.13", "libcublasLt.so.12");

        CublasLibraries libs = loader().loadCublas();

        assertEquals(List.of("file:libcublasLt.so.13", "file:libcublas.so.13"), opened);
        assertEquals(dir.resolve("libcublas.so.13"), libs.cublas().from().file());
        assertEquals(13, libs.cublas().major());
    }

    @Test
    void cublasFromTheSystemLoaderLeavesItsDependencyToTheLoader() throws IOException {
        systemSonames.add("libcublas.so.12");

        CublasLibraries libs = loader().loadCublas();

        assertEquals(List.of("loader:libcublas.so.12"), opened);
        assertNull(libs.cublasLt());
        assertFalse(libs.cublas().from().isFile());
    }

    @Test
    void cudnn9SubLibrariesLoadInDependencyOrderBeforeCudnn() throws IOException {
        wheel("nvidia/cudnn/lib", "libcudnn.so.9", "libcudnn_adv.so.9", "libcudnn_cnn.so.9", "libcudnn_ops.so.9",
                "libcudnn_graph.so.9", "libcudnn_heuristic.so.9", "libcudnn_engines_precompiled.so.9",
                "libcudnn_engines_runtime_compiled.so.9");

        CudnnLibraries libs = loader().loadCudnn();

        assertEquals(List.of("file:libcudnn_graph.so.9", "file:libcudnn_engines_precompiled.so.9",
                "file:libcudnn_engines_runtime_compiled.so.9", "file:libcudnn_heuristic.so.9", "file:libcudnn_ops.so.9",
                "file:libcudnn_cnn.so.9", "file:libcudnn_adv.so.9", "file:libcudnn.so.9"), opened);
        assertEquals(9, libs.major());
        assertEquals(7, libs.subLibraries().size());
    }

    @Test
    void aSubLibraryThatFailsIsANoteNotAFailure() throws IOException {
        wheel("nvidia/cudnn/lib", "libcudnn.so.9", "libcudnn_graph.so.9", "libcudnn_engines_runtime_compiled.so.9", "libcudnn_ops.so.9");
        brokenFiles.add("libcudnn_engines_runtime_compiled.so.9");
        CudaLibraryLoader loader = loader();

        loader.loadCudnn();

        assertEquals(List.of("file:libcudnn_graph.so.9", "file:libcudnn_ops.so.9", "file:libcudnn.so.9"), opened);
        assertEquals(1, loader.notes().size());
        assertTrue(loader.notes().getFirst().startsWith("libcudnn_engines_runtime_compiled.so.9 at "), loader.notes().getFirst());
    }

    @Test
    void cudnn8UsesItsOwnSubLibraries() throws IOException {
        wheel("nvidia/cudnn/lib", "libcudnn.so.8", "libcudnn_ops_infer.so.8", "libcudnn_cnn_train.so.8", "libcudnn_graph.so.9");

        CudnnLibraries libs = loader().loadCudnn();

        assertEquals(List.of("file:libcudnn_ops_infer.so.8", "file:libcudnn_cnn_train.so.8", "file:libcudnn.so.8"), opened);
        assertEquals(8, libs.major());
    }

    @Test
    void aBrokenFileFallsThroughToTheNextCandidate() throws IOException {
        Path override = tmp.resolve("override");
        Files.createDirectories(override);
        Files.createFile(override.resolve("libcuda.so.1"));
        env.put(CudaLibraryLocator.LIBDIR_ENV, override.toString());
        brokenFiles.add("libcuda.so.1");
        systemSonames.add("libcuda.so.1");

        CudaLibraryLoader.LoadedLibrary driver = loader().loadDriver();

        assertEquals(List.of("loader:libcuda.so.1"), opened);
        assertEquals("libcuda.so.1 (system loader)", driver.describe());
    }

    @Test
    void notFoundMessageIsOneLineSayingWhatWasSearchedFoundAndHowToFix() throws IOException {
        systemSonames.add("libcuda.so.1");
        CudaLibraryLoader loader = loader();
        loader.loadDriver();

        CudaUnavailableException e = assertThrows(CudaUnavailableException.class, loader::loadCublas);

        String m = e.getMessage();
        assertFalse(m.contains("\n"), m);
        assertTrue(m.startsWith("CUDA unavailable: cuBLAS (libcublas.so.13 or libcublas.so.12) not found; searched SPARSESTEP_CUDA_LIBDIR (unset)"), m);
        assertTrue(m.contains("the system loader (LD_LIBRARY_PATH="), m);
        assertTrue(m.contains("; found libcuda.so.1 (system loader);"), m);
        assertTrue(m.endsWith("fix: set SPARSESTEP_CUDA_LIBDIR (or -Dsparsestep.cuda.libdir) to the directory holding libcublas.so.13, or use the CPU backend"), m);
    }

    @Test
    void unloadableFilesAreListedWithTheLoadersReason() throws IOException {
        Path dir = wheel("nvidia/cu13/lib", "libcublas.so.13");
        brokenFiles.add("libcublas.so.13");

        CudaUnavailableException e = assertThrows(CudaUnavailableException.class, () -> loader().loadCublas());

        String m = e.getMessage();
        assertTrue(m.contains("cuBLAS (libcublas.so.13 or libcublas.so.12) found but not loadable"), m);
        // The real dynamic loader is asked why: an empty file is not an ELF object.
        assertTrue(m.contains("failed to load " + dir.resolve("libcublas.so.13") + ": "), m);
        assertTrue(m.contains("found no CUDA library"), m);
    }

    @Test
    void driverMessageExplainsThatLibcudaComesWithTheDriver() {
        String m = CudaLibraryLoader.unavailableMessage(Library.DRIVER, "X", List.of(), List.of(), List.of());
        assertEquals("CUDA unavailable: the CUDA driver (libcuda.so.1) not found; searched X; found no CUDA library; "
                + "fix: set SPARSESTEP_CUDA_LIBDIR (or -Dsparsestep.cuda.libdir) to the directory holding libcuda.so.1 "
                + "(installed with the NVIDIA driver; no GPU driver means no CUDA), or use the CPU backend", m);
    }

    /** No driver, but cuBLAS and cuDNN wheels: the line says they are there, so it is the GPU driver that is missing. */
    @Test
    void aMissingDriverMessageNamesTheCudaLibrariesThatAreThere() throws IOException {
        Path blas = wheel("nvidia/cublas/lib", "libcublas.so.12", "libcublasLt.so.12");
        Path dnn = wheel("nvidia/cudnn/lib", "libcudnn.so.9");

        String m = assertThrows(CudaUnavailableException.class, () -> loader().loadDriver()).getMessage();

        assertTrue(m.startsWith("CUDA unavailable: the CUDA driver (libcuda.so.1) not found; "), m);
        assertTrue(m.contains("; found libcublas.so.12 at " + blas.resolve("libcublas.so.12") + " (not loaded), libcudnn.so.9 at "
                + dnn.resolve("libcudnn.so.9") + " (not loaded);"), m);
        assertFalse(m.contains("no CUDA library"), m);
    }

    @Test
    void anOnlyTooOldLibraryIsNamedWithTheVersionNeeded() throws IOException {
        systemSonames.add("libcuda.so.1");
        Path dir = wheel("nvidia/cublas/lib", "libcublas.so.11", "libcublasLt.so.11");
        CudaLibraryLoader loader = loader();
        loader.loadDriver();

        String m = assertThrows(CudaUnavailableException.class, loader::loadCublas).getMessage();

        assertTrue(m.startsWith("CUDA unavailable: cuBLAS (libcublas.so.13 or libcublas.so.12) not found in a supported version;"), m);
        assertTrue(m.contains("; too old: " + dir.resolve("libcublas.so.11") + " (cuBLAS 12 or newer needed);"), m);
        assertFalse(m.contains("libcublasLt.so.11"), "only the library itself is named: " + m);
        assertFalse(m.contains("\n"), m);
    }

    @Test
    void optionalLibraryPrefersTheMatchingMajorAndOnlyNotesAMiss() throws IOException {
        wheel("nvidia/cu12/lib", "libnvrtc.so.12");
        wheel("nvidia/cu13/lib", "libnvrtc.so.13");
        CudaLibraryLoader loader = loader();

        Optional<CudaLibraryLoader.LoadedLibrary> nvrtc = loader.loadOptional(Library.NVRTC, 12);
        assertEquals("libnvrtc.so.12", nvrtc.orElseThrow().soname());

        CudaLibraryLoader empty = new CudaLibraryLoader(new CudaLibraryLocator(
                new Environment(k -> null, k -> null, tmp.resolve("nowhere"), tmp.resolve("nobody"))), recorder);
        assertTrue(empty.loadOptional(Library.NVRTC, 13).isEmpty());
        assertEquals(List.of("NVRTC (libnvrtc.so.13 or libnvrtc.so.12) not found (optional)"), empty.notes());
    }

    @Test
    void loadedLibrariesAreListedInLoadOrder() throws IOException {
        wheel("nvidia/cu13/lib", "libcublas.so.13", "libcublasLt.so.13");
        systemSonames.add("libcuda.so.1");
        CudaLibraryLoader loader = loader();
        loader.loadDriver();
        loader.loadCublas();

        List<String> described = loader.loaded().stream().map(CudaLibraryLoader.LoadedLibrary::describe).toList();
        assertEquals(3, described.size());
        assertEquals("libcuda.so.1 (system loader)", described.get(0));
        assertTrue(described.get(1).startsWith("libcublasLt.so.13 ("), described.get(1));
        assertTrue(described.get(2).startsWith("libcublas.so.13 ("), described.get(2));
    }

    @Test
    void candidateDescriptions() {
        Candidate file = new Candidate(CudaLibraryLocator.Source.PYTHON_WHEEL, "libcudnn.so.9", Path.of("/x/libcudnn.so.9"));
        Candidate soname = new Candidate(CudaLibraryLocator.Source.SYSTEM_LOADER, "libcudnn.so.9", null);
        assertEquals("/x/libcudnn.so.9 (Python wheel)", file.describe());
        assertEquals("libcudnn.so.9 (system loader)", soname.describe());
        assertEquals(Path.of("/x"), file.directory());
        assertNull(soname.directory());
    }
}
