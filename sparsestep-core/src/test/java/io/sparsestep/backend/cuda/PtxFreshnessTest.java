package io.sparsestep.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

/**
 * The PTX under src/main/resources/io/sparsestep/kernels is generated from kernels/*.cu by
 * native-build/build.sh and committed, because CI and most users have no CUDA toolkit.
 * This test keeps the two from drifting apart: every kernel has its PTX with every entry,
 * the PTX records the hash of the sources it was built from (checked in pure Java, so a
 * stale PTX fails even without nvcc), the optimizer PTX keeps the no-fma contract that
 * makes it bit-identical to the Java twins, and where nvcc exists a rebuild must equal the
 * committed bytes. Runs from the repository root (Maven's basedir).
 */
class PtxFreshnessTest {

    private static final Path ROOT = Path.of("").toAbsolutePath();
    private static final Path KERNELS = ROOT.resolve("kernels");
    private static final Path RESOURCES = ROOT.resolve("sparsestep-core/src/main/resources/io/sparsestep/kernels");
    private static final Path BUILD_SCRIPT = ROOT.resolve("native-build/build.sh");
    private static final String RESOURCE_PREFIX = "/io/sparsestep/kernels/";

    private static final Pattern KERNEL_DECLARATION =
            Pattern.compile("extern\\s+\"C\"\\s+__global__\\s+void\\s+(\\w+)\\s*\\(");
    /** An fma, or an f32 mul/add/sub without an explicit rounding mode (which ptxas may fuse). */
    private static final Pattern CONTRACTIBLE =
            Pattern.compile("(^|\\s)(fma\\.|(mul|add|sub)(\\.ftz)?(\\.sat)?\\.f32\\s)");

    @Test
    void everyKernelSourceHasCommittedPtxDeclaringEachOfItsKernels() throws IOException {
        for (Path cu : kernelSources()) {
            List<String> kernels = declaredKernels(cu);
            assertFalse(kernels.isEmpty(), cu + " declares no extern \"C\" __global__ kernel");
            String ptx = committedPtx(cu);
            assertTrue(ptx.contains("\n.target sm_75"), nameOf(cu) + ".ptx must target sm_75 (built with -arch=compute_75)");
            for (String kernel : kernels) {
                assertTrue(ptx.contains(".entry " + kernel + "("),
                        nameOf(cu) + ".ptx has no .entry " + kernel + "; run native-build/build.sh");
            }
        }
    }

    @Test
    void everyCommittedPtxHasItsKernelSource() throws IOException {
        try (Stream<Path> files = Files.list(RESOURCES)) {
            for (Path ptx : files.filter(p -> p.toString().endsWith(".ptx")).toList()) {
                String name = ptx.getFileName().toString().replaceFirst("\\.ptx$", "");
                assertTrue(Files.isRegularFile(KERNELS.resolve(name + ".cu")),
                        ptx + " has no kernels/" + name + ".cu; delete the PTX or restore the source");
            }
        }
    }

    /** Works without nvcc: the hash build.sh wrote must match the sources as they are now. */
    @Test
    void committedPtxWasBuiltFromTheCurrentSources() throws IOException {
        for (Path cu : kernelSources()) {
            String expected = "// source-sha256: " + sourceHash(cu);
            assertTrue(committedPtx(cu).lines().anyMatch(expected::equals),
                    nameOf(cu) + ".ptx is stale: kernels/" + cu.getFileName()
                            + " or kernels/*.cuh changed since it was built; run native-build/build.sh");
        }
    }

    /**
     * gRDA with c = 0 must reproduce SGD bit for bit, and both steps must equal their Java
     * twins: that holds only while every f32 product and sum in optim.ptx rounds on its own.
     */
    /** CUDA 12 drivers (R525+) JIT PTX ISA up to 8.0; nvcc 13 writes 9.0, which build.sh lowers (ptxas-checked). */
    @Test
    void committedPtxIsReadableByCuda12Drivers() throws IOException {
        for (Path cu : kernelSources()) {
            String ptx = committedPtx(cu);
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?m)^\\.version (\\d+)\\.(\\d+)\\s*$").matcher(ptx);
            assertTrue(m.find(), cu.getFileName() + ": no .version line");
            int version = Integer.parseInt(m.group(1)) * 10 + Integer.parseInt(m.group(2));
            assertTrue(version <= 80, cu.getFileName() + " declares PTX ISA " + m.group(1) + "." + m.group(2)
                    + ", newer than CUDA 12 drivers read; rebuild with native-build/build.sh");
        }
    }

    /**
     * Kernel files marked "// sparsestep: bitwise" (the optimizer steps, vector ops, masks)
     * promise bit-equality with their Java twins: that holds only while every f32 product
     * and sum in their PTX rounds on its own. optim.cu must be among them.
     */
    @Test
    void bitwiseKernelsRoundEveryMultiplyAndAddSeparately() throws IOException {
        List<Path> bitwise = new java.util.ArrayList<>();
        for (Path cu : kernelSources()) {
            if (Files.readAllLines(cu).stream().limit(5).anyMatch(l -> l.equals("// sparsestep: bitwise"))) bitwise.add(cu);
        }
        assertTrue(bitwise.contains(KERNELS.resolve("optim.cu")), "kernels/optim.cu lost its '// sparsestep: bitwise' line");
        for (Path cu : bitwise) {
            String name = cu.getFileName().toString().replace(".cu", ".ptx");
            String ptx = committedPtx(cu);
            List<String> offending = ptx.lines().filter(line -> CONTRACTIBLE.matcher(line).find()).toList();
            assertTrue(offending.isEmpty(), name + " has fma or unrounded f32 arithmetic, first: "
                    + offending.stream().findFirst().orElse("") + "; use __fmul_rn/__fadd_rn/__fsub_rn in kernels/" + cu.getFileName());
        }
        String optim = committedPtx(KERNELS.resolve("optim.cu"));
        assertTrue(optim.contains("mul.rn.f32") && optim.contains("sub.rn.f32"),
                "optim.ptx should hold explicitly rounded mul.rn/sub.rn from __fmul_rn/__fsub_rn");
    }

    @Test
    void rebuildingWithNvccReproducesTheCommittedPtx() throws IOException, InterruptedException {
        Optional<Path> nvcc = findNvcc();
        assumeTrue(nvcc.isPresent(), "nvcc is neither on PATH nor at /usr/local/cuda/bin/nvcc: rebuild check skipped");
        Path log = Files.createTempFile("ptx-check", ".log");
        try {
            Process build = new ProcessBuilder("bash", BUILD_SCRIPT.toString(), "--check")
                    .directory(ROOT.toFile())
                    .redirectErrorStream(true)
                    .redirectOutput(log.toFile())
                    .start();
            boolean finished = build.waitFor(5, TimeUnit.MINUTES);
            if (!finished) build.destroyForcibly().waitFor();
            String output = Files.readString(log);
            if (!finished) fail("native-build/build.sh --check did not finish in 5 minutes:\n" + output);
            // 3: same sources, but this nvcc is another release than the one that wrote the PTX.
            assumeTrue(build.exitValue() != 3, "PTX bytes not comparable with this nvcc (" + nvcc.get() + "):\n" + output);
            assertEquals(0, build.exitValue(), "native-build/build.sh --check failed:\n" + output);
        } finally {
            Files.deleteIfExists(log);
        }
    }

    // ------------------------------------------------------------------ helpers

    private static List<Path> kernelSources() throws IOException {
        assertTrue(Files.isDirectory(KERNELS), "no kernels/ under " + ROOT + "; run the tests from the repository root");
        try (Stream<Path> files = Files.list(KERNELS)) {
            List<Path> sources = files.filter(p -> p.toString().endsWith(".cu")).sorted().toList();
            assertFalse(sources.isEmpty(), "kernels/ holds no .cu file");
            return sources;
        }
    }

    private static String nameOf(Path cu) {
        return cu.getFileName().toString().replaceFirst("\\.cu$", "");
    }

    private static List<String> declaredKernels(Path cu) throws IOException {
        Matcher m = KERNEL_DECLARATION.matcher(Files.readString(cu));
        List<String> names = new ArrayList<>();
        while (m.find()) names.add(m.group(1));
        return names;
    }

    /** The PTX as the CUDA backend will load it: from the classpath, not from the source tree. */
    private static String committedPtx(Path cu) throws IOException {
        String resource = RESOURCE_PREFIX + nameOf(cu) + ".ptx";
        try (InputStream in = PtxFreshnessTest.class.getResourceAsStream(resource)) {
            assertNotNull(in, "no classpath resource " + resource + " for " + cu.getFileName() + "; run native-build/build.sh");
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    /** Same rule as build.sh's source_hash: SHA-256 of the .cu, then every kernels/*.cuh in byte order of name. */
    private static String sourceHash(Path cu) throws IOException {
        MessageDigest sha;
        try {
            sha = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 missing from this JDK", e);
        }
        sha.update(Files.readAllBytes(cu));
        try (Stream<Path> files = Files.list(KERNELS)) {
            for (Path header : files.filter(p -> p.toString().endsWith(".cuh"))
                    .sorted((a, b) -> a.getFileName().toString().compareTo(b.getFileName().toString())).toList()) {
                sha.update(Files.readAllBytes(header));
            }
        }
        return HexFormat.of().formatHex(sha.digest());
    }

    private static Optional<Path> findNvcc() {
        String path = System.getenv("PATH");
        if (path != null) {
            for (String dir : path.split(java.io.File.pathSeparator)) {
                if (dir.isEmpty()) continue;
                Path candidate = Path.of(dir, "nvcc");
                if (Files.isExecutable(candidate)) return Optional.of(candidate);
            }
        }
        Path fallback = Path.of("/usr/local/cuda/bin/nvcc");
        return Files.isExecutable(fallback) ? Optional.of(fallback) : Optional.empty();
    }
}
