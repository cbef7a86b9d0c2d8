package io.sparsestep.backend.cuda;

import io.sparsestep.backend.cuda.CudaLibraryLocator.Candidate;
import io.sparsestep.backend.cuda.CudaLibraryLocator.Environment;
import io.sparsestep.backend.cuda.CudaLibraryLocator.Library;
import io.sparsestep.backend.cuda.CudaLibraryLocator.Source;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The search order of {@link CudaLibraryLocator} over fake directory trees (empty files named like the libraries). */
class CudaLibraryLocatorTest {
    @TempDir
    Path tmp;

    private final Map<String, String> env = new HashMap<>();
    private final Map<String, String> props = new HashMap<>();

    private Path root() { return tmp.resolve("root"); }

    private Path home() { return tmp.resolve("home"); }

    private CudaLibraryLocator locator() throws IOException {
        Files.createDirectories(root());
        Files.createDirectories(home());
        return new CudaLibraryLocator(new Environment(env::get, props::get, root(), home()));
    }

    private static Path touch(Path dir, String... names) throws IOException {
        Files.createDirectories(dir);
        for (String n : names) Files.createFile(dir.resolve(n));
        return dir;
    }

    /** "source:path-relative-to-tmp" or "loader:soname", to assert orders compactly. */
    private List<String> describe(List<Candidate> cs) {
        return cs.stream().map(c -> c.isFile()
                ? c.source() + ":" + tmp.relativize(c.file()).toString().replace(File.separatorChar, '/')
                : c.source() + ":" + c.soname()).toList();
    }

    @Test
    void overrideThenWheelsThenLoaderThenToolkit() throws IOException {
        Path override = touch(tmp.resolve("mylibs"), "libcublas.so.12");
        touch(root().resolve("usr/local/lib/python3.12/site-packages/nvidia/cu13/lib"), "libcublas.so.13", "libcublasLt.so.13");
        touch(root().resolve("usr/lib/python3/dist-packages/nvidia/cublas/lib"), "libcublas.so.12");
        touch(root().resolve("usr/local/cuda/lib64"), "libcublas.so.13");
        env.put(CudaLibraryLocator.LIBDIR_ENV, override.toString());

        List<String> order = describe(locator().candidates(Library.CUBLAS));

        assertEquals(List.of(
                "OVERRIDE:mylibs/libcublas.so.12",
                "PYTHON_WHEEL:root/usr/local/lib/python3.12/site-packages/nvidia/cu13/lib/libcublas.so.13",
                "PYTHON_WHEEL:root/usr/lib/python3/dist-packages/nvidia/cublas/lib/libcublas.so.12",
                "SYSTEM_LOADER:libcublas.so.13",
                "SYSTEM_LOADER:libcublas.so.12",
                "CUDA_TOOLKIT:root/usr/local/cuda/lib64/libcublas.so.13"), order);
    }

    @Test
    void newerSonameFirstWithinOneDirectory() throws IOException {
        touch(root().resolve("usr/local/lib/python3.12/site-packages/nvidia/cudnn/lib"), "libcudnn.so.8", "libcudnn.so.9");
        List<Candidate> cs = locator().candidates(Library.CUDNN);
        assertEquals("libcudnn.so.9", cs.get(0).soname());
        assertEquals("libcudnn.so.8", cs.get(1).soname());
        assertEquals(9, cs.get(0).major());
    }

    @Test
    void systemPropertyBeforeEnvironmentAndPathListsInOrder() throws IOException {
        Path a = touch(tmp.resolve("a"), "libcuda.so.1");
        Path b = touch(tmp.resolve("b"), "libcuda.so.1");
        Path c = touch(tmp.resolve("c"), "libcuda.so.1");
        props.put(CudaLibraryLocator.LIBDIR_PROPERTY, b + File.pathSeparator + a);
        env.put(CudaLibraryLocator.LIBDIR_ENV, c.toString());

        List<String> order = describe(locator().candidates(Library.DRIVER));

        assertEquals(List.of("OVERRIDE:b/libcuda.so.1", "OVERRIDE:a/libcuda.so.1", "OVERRIDE:c/libcuda.so.1",
                "SYSTEM_LOADER:libcuda.so.1"), order);
    }

    @Test
    void pythonInstallsNewestFirstNumerically() throws IOException {
        touch(root().resolve("usr/local/lib/python3.9/site-packages/nvidia/cu12/lib"), "libcublas.so.12");
        touch(root().resolve("usr/local/lib/python3.12/site-packages/nvidia/cu12/lib"), "libcublas.so.12");
        touch(root().resolve("usr/local/lib/python3.10/dist-packages/nvidia/cu12/lib"), "libcublas.so.12");

        List<String> order = describe(locator().candidates(Library.CUBLAS));

        assertEquals(List.of(
                "PYTHON_WHEEL:root/usr/local/lib/python3.12/site-packages/nvidia/cu12/lib/libcublas.so.12",
                "PYTHON_WHEEL:root/usr/local/lib/python3.10/dist-packages/nvidia/cu12/lib/libcublas.so.12",
                "PYTHON_WHEEL:root/usr/local/lib/python3.9/site-packages/nvidia/cu12/lib/libcublas.so.12"),
                order.subList(0, 3));
    }

    @Test
    void virtualEnvCondaPythonPathAndUserSiteBeforeSystemPythons() throws IOException {
        Path venv = tmp.resolve("venv");
        Path conda = tmp.resolve("conda");
        Path pp = tmp.resolve("pp");
        touch(venv.resolve("lib/python3.11/site-packages/nvidia/cudnn/lib"), "libcudnn.so.9");
        touch(conda.resolve("lib/python3.10/site-packages/nvidia/cudnn/lib"), "libcudnn.so.9");
        touch(pp.resolve("nvidia/cudnn/lib"), "libcudnn.so.9");
        touch(home().resolve(".local/lib/python3.12/site-packages/nvidia/cudnn/lib"), "libcudnn.so.9");
        touch(root().resolve("usr/lib/python3.12/site-packages/nvidia/cudnn/lib"), "libcudnn.so.9");
        touch(root().resolve("opt/conda/lib/python3.12/site-packages/nvidia/cudnn/lib"), "libcudnn.so.9");
        env.put("VIRTUAL_ENV", venv.toString());
        env.put("CONDA_PREFIX", conda.toString());
        env.put("PYTHONPATH", pp.toString());

        List<String> order = describe(locator().candidates(Library.CUDNN));

        assertEquals(List.of(
                "PYTHON_WHEEL:venv/lib/python3.11/site-packages/nvidia/cudnn/lib/libcudnn.so.9",
                "PYTHON_WHEEL:conda/lib/python3.10/site-packages/nvidia/cudnn/lib/libcudnn.so.9",
                "PYTHON_WHEEL:pp/nvidia/cudnn/lib/libcudnn.so.9",
                "PYTHON_WHEEL:home/.local/lib/python3.12/site-packages/nvidia/cudnn/lib/libcudnn.so.9",
                "PYTHON_WHEEL:root/usr/lib/python3.12/site-packages/nvidia/cudnn/lib/libcudnn.so.9",
                "PYTHON_WHEEL:root/opt/conda/lib/python3.12/site-packages/nvidia/cudnn/lib/libcudnn.so.9",
                "SYSTEM_LOADER:libcudnn.so.9",
                "SYSTEM_LOADER:libcudnn.so.8"), order);
    }

    /** The GPU host's python3 lives in a venv that nothing names in the environment but PATH. */
    @Test
    void thePython3OnPathHasItsWheelsFound() throws IOException {
        Path venv = tmp.resolve("opt/torch/.venv");
        touch(venv.resolve("bin"), "python3");
        touch(venv.resolve("lib/python3.12/site-packages/nvidia/cublas/lib"), "libcublas.so.13", "libcublasLt.so.13");
        env.put("PATH", tmp.resolve("nowhere") + ":" + venv.resolve("bin"));

        List<String> order = describe(locator().candidates(Library.CUBLAS));

        assertEquals("PYTHON_WHEEL:opt/torch/.venv/lib/python3.12/site-packages/nvidia/cublas/lib/libcublas.so.13", order.getFirst());
    }

    @Test
    void cudaHomeBeforeDefaultToolkitAndDriverDirsLast() throws IOException {
        Path cudaHome = tmp.resolve("cuda-13.0");
        touch(cudaHome.resolve("lib64"), "libcuda.so.1");
        touch(root().resolve("usr/local/cuda/lib64"), "libcuda.so.1");
        touch(root().resolve("usr/lib/x86_64-linux-gnu"), "libcuda.so.1");
        env.put("CUDA_HOME", cudaHome.toString());

        List<Candidate> cs = locator().candidates(Library.DRIVER);

        assertEquals(List.of("SYSTEM_LOADER:libcuda.so.1", "CUDA_TOOLKIT:cuda-13.0/lib64/libcuda.so.1",
                "CUDA_TOOLKIT:root/usr/local/cuda/lib64/libcuda.so.1", "DRIVER_DIR:root/usr/lib/x86_64-linux-gnu/libcuda.so.1"),
                describe(cs));
        assertEquals(Source.DRIVER_DIR, cs.getLast().source());
    }

    @Test
    void theSameDirectoryReachedTwiceIsSearchedOnce() throws IOException {
        Path site = root().resolve("usr/local/lib/python3.12/site-packages");
        touch(site.resolve("nvidia/cu13/lib"), "libcublas.so.13");
        Path link = tmp.resolve("link");
        Files.createSymbolicLink(link, site);
        env.put("PYTHONPATH", link.toString());
        env.put(CudaLibraryLocator.LIBDIR_ENV, site.resolve("nvidia/cu13/lib").toString());

        List<Candidate> files = locator().candidates(Library.CUBLAS).stream().filter(Candidate::isFile).toList();

        assertEquals(1, files.size());
        assertEquals(Source.OVERRIDE, files.getFirst().source());
    }

    @Test
    void nothingOnDiskLeavesOnlyTheLoader() throws IOException {
        List<Candidate> cs = locator().candidates(Library.CUBLAS);
        assertEquals(List.of("SYSTEM_LOADER:libcublas.so.13", "SYSTEM_LOADER:libcublas.so.12"), describe(cs));
        assertTrue(cs.stream().noneMatch(Candidate::isFile));
    }

    @Test
    void summaryNamesEveryPlaceSearchedOnOneLine() throws IOException {
        touch(root().resolve("usr/local/lib/python3.12/site-packages/nvidia/cu13/lib"), "other.so");
        touch(root().resolve("usr/local/cuda/lib64"), "other.so");
        env.put("LD_LIBRARY_PATH", "/opt/x");
        props.put(CudaLibraryLocator.LIBDIR_PROPERTY, tmp.resolve("does-not-exist").toString());

        String s = locator().searchedSummary();

        assertFalse(s.contains("\n"), s);
        assertTrue(s.contains("-Dsparsestep.cuda.libdir=" + tmp.resolve("does-not-exist")), s);
        assertTrue(s.contains("(missing: " + tmp.resolve("does-not-exist") + ")"), s);
        assertTrue(s.contains("Python wheels in 1 site-packages [" + root().resolve("usr/local/lib/python3.12/site-packages") + "]"), s);
        assertTrue(s.contains("LD_LIBRARY_PATH=/opt/x"), s);
        assertTrue(s.contains("CUDA toolkit [" + root().resolve("usr/local/cuda/lib64") + "]"), s);
    }

    @Test
    void summarySaysWhenNothingIsConfigured() throws IOException {
        String s = locator().searchedSummary();
        assertTrue(s.startsWith("SPARSESTEP_CUDA_LIBDIR (unset)"), s);
        assertTrue(s.contains("no site-packages found"), s);
        assertTrue(s.contains("LD_LIBRARY_PATH=unset"), s);
    }

    @Test
    void sonameMajorAndPythonMinorParsing() {
        assertEquals(13, CudaLibraryLocator.sonameMajor("libcublas.so.13"));
        assertEquals(9, CudaLibraryLocator.sonameMajor("libcudnn.so.9.1.0"));
        assertEquals(1, CudaLibraryLocator.sonameMajor("libcuda.so.1"));
        assertEquals(-1, CudaLibraryLocator.sonameMajor("libcuda.so"));
        assertEquals(12, CudaLibraryLocator.pythonMinor("python3.12"));
        assertEquals(9, CudaLibraryLocator.pythonMinor("python3.9"));
        assertEquals(13, CudaLibraryLocator.pythonMinor("python3.13t"));
        assertEquals(-1, CudaLibraryLocator.pythonMinor("python3"));
    }
}
