package io.sparsestep.backend.cuda;

import io.sparsestep.backend.Backend;
import io.sparsestep.backend.cpu.CpuBackend;
import io.sparsestep.backend.cuda.ConformanceChecks.Check;
import io.sparsestep.backend.cuda.ConformanceChecks.Result;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * {@code sparsestep doctor}: says what CUDA stack this machine has (driver, CUDA version,
 * cuBLAS and cuDNN versions and the files they were loaded from, the GPU, its compute
 * capability and memory), then runs {@link ConformanceChecks} (every Backend op and both
 * optimizer steps) on the CUDA backend against the CPU backend and prints one line per
 * output: name, largest absolute and relative error, tolerance, PASS or FAIL.
 */
public final class CudaDoctor {
    /** Fixed so that a failure reproduces; printed with the report. */
    public static final long SEED = 20201207L;

    private CudaDoctor() {}

    /** What the doctor found: the environment lines, one result per checked output, or why CUDA is unavailable. */
    public record Report(List<String> environment, List<Result> checks, Optional<String> unavailable) {
        public boolean ok() {
            return unavailable.isEmpty() && !checks.isEmpty() && checks.stream().allMatch(Result::passed);
        }

        public long failures() {
            return checks.stream().filter(r -> !r.passed()).count();
        }
    }

    /** Prints the report to {@code out}; 0 when every check passes, 1 on any failure, 2 when CUDA is unavailable. */
    public static int run(PrintStream out) {
        Report r = diagnose(out);
        if (r.unavailable().isPresent()) return 2;
        return r.ok() ? 0 : 1;
    }

    /** Collects the environment, runs the checks and prints everything as it goes. */
    public static Report diagnose(PrintStream out) {
        out.println("sparsestep doctor: CUDA backend");
        CudaBackend cuda;
        try {
            cuda = CudaBackend.open();
        } catch (CudaUnavailableException e) {
            out.println(e.getMessage());
            for (String lib : CudaLibraries.describe()) out.println("  loaded: " + lib);
            for (String line : librarySurvey(CudaLibraryLocator.system())) out.println("  " + line);
            return new Report(List.of(), List.of(), Optional.of(e.getMessage()));
        }
        try (cuda; Backend cpu = new CpuBackend()) {
            List<String> env = environment(cuda);
            for (String line : env) out.println("  " + line);
            out.println("conformance: cuda vs " + cpu.name() + " (" + cpu.description() + "), seed " + SEED);
            List<Result> results = compare(cuda, cpu, SEED, out);
            Report report = new Report(env, results, Optional.empty());
            out.println(report.ok() ? "doctor: all " + results.size() + " checks PASS"
                    : "doctor: " + report.failures() + " of " + results.size() + " checks FAIL");
            return report;
        }
    }

    /** Runs every check of {@link ConformanceChecks#all()} on {@code tested} vs {@code reference}, printing one line per result. */
    static List<Result> compare(Backend tested, Backend reference, long seed, PrintStream out) {
        List<Result> all = new ArrayList<>();
        for (Check check : ConformanceChecks.all()) {
            long start = System.nanoTime();
            List<Result> results = check.run(tested, reference, seed);
            double ms = (System.nanoTime() - start) / 1e6;
            for (Result r : results) out.println("  " + r.line());
            if (ms > 1000) out.printf(Locale.ROOT, "  (%s took %.1f s)%n", check.name(), ms / 1000);
            all.addAll(results);
        }
        return all;
    }

    /** One line per fact about the CUDA stack under {@code cuda}. */
    static List<String> environment(CudaBackend cuda) {
        List<String> lines = new ArrayList<>();
        CudaBackend.DeviceInfo d = cuda.deviceInfo();
        kernelModuleVersion().ifPresent(v -> lines.add("NVIDIA driver: " + v));
        lines.add("CUDA version supported by the driver: " + CudaBackend.DeviceInfo.cudaVersionString(d.driverCudaVersion()));
        CudaDriver.MemoryInfo mem = cuda.driver().memoryInfo();
        lines.add(String.format(Locale.ROOT, "GPU %d: %s, compute capability %s, %d SMs, %.1f GiB total, %.1f GiB free",
                d.ordinal(), d.name(), d.computeCapability(), d.multiprocessors(), d.totalBytes() / (double) (1L << 30),
                mem.freeBytes() / (double) (1L << 30)));
        lines.add("cuBLAS " + CudaBackend.cublasVersionString(cuda.cublas().version()) + ": " + cuda.cublas().library());
        long rt = cuda.cudnn().cudartVersion();
        lines.add("cuDNN " + Cudnn.versionString(cuda.cudnn().version())
                + (rt > 0 ? " (built for CUDA " + CudaBackend.DeviceInfo.cudaVersionString((int) rt) + ")" : "") + ": " + cuda.cudnn().library());
        for (String lib : CudaLibraries.describe()) lines.add("loaded " + lib);
        return lines;
    }

    /**
     * When CUDA as a whole is unavailable, what of it is there: cuBLAS and cuDNN are looked
     * for on their own (their versions and the descriptor API need no GPU), so that a
     * machine missing only the driver says so rather than "found no CUDA library".
     */
    static List<String> librarySurvey(CudaLibraryLocator locator) {
        List<String> lines = new ArrayList<>();
        CudaLibraryLoader loader = new CudaLibraryLoader(locator, CudaLibraryLoader.DLOPEN);
        try {
            CudaLibraryLoader.CublasLibraries blas = loader.loadCublas();
            java.util.OptionalInt v = Cublas.propertyVersion(blas);
            lines.add("cuBLAS " + (v.isPresent() ? CudaBackend.cublasVersionString(v.getAsInt()) : "(version unknown)") + ": "
                    + blas.cublas().describe() + " (loads; needs a GPU to run)");
        } catch (CudaUnavailableException | CudaException e) {
            lines.add("cuBLAS: not found on its own either");
        }
        try {
            CudaLibraryLoader.CudnnLibraries dnn = loader.loadCudnn();
            try (Cudnn cudnn = Cudnn.withoutHandle(dnn)) {
                lines.add("cuDNN " + Cudnn.versionString(cudnn.version()) + ": " + cudnn.library()
                        + " with " + dnn.subLibraries().size() + " sub-libraries (loads; needs a GPU to run)");
            }
        } catch (CudaUnavailableException | CudaException e) {
            lines.add("cuDNN: not found on its own either");
        }
        for (String n : loader.notes()) lines.add("note: " + n);
        return lines;
    }

    /** "580.65.06" from /proc/driver/nvidia/version, when the file is there. */
    static Optional<String> kernelModuleVersion() {
        try {
            Path p = Path.of("/proc/driver/nvidia/version");
            if (!Files.isReadable(p)) return Optional.empty();
            String first = Files.readAllLines(p).stream().findFirst().orElse("");
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("(\\d+\\.\\d+(\\.\\d+)?)").matcher(first);
            return m.find() ? Optional.of(m.group(1)) : Optional.empty();
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }
}
