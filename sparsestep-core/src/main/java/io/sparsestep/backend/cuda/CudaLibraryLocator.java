package io.sparsestep.backend.cuda;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;

/**
 * Where NVIDIA's shared libraries may be, in the order NVIDIA's cuda-pathfinder looks:
 * <ol>
 *   <li>an explicit override: system property {@value #LIBDIR_PROPERTY}, then environment
 *       variable {@value #LIBDIR_ENV} (each a directory or a path list);</li>
 *   <li>pip wheels (nvidia-cublas, nvidia-cudnn-cu13, ...) under the site-packages of the
 *       Python installs found on disk: $VIRTUAL_ENV, $CONDA_PREFIX, $PYTHONPATH entries,
 *       ~/.local, /usr/local, /usr, /opt/conda (nothing is executed to ask Python);</li>
 *   <li>the dynamic loader's own search by soname (LD_LIBRARY_PATH, the ldconfig cache);</li>
 *   <li>a CUDA toolkit: $CUDA_HOME/lib64, $CUDA_PATH/lib64, /usr/local/cuda/lib64;</li>
 *   <li>last, the usual driver directories, for libcuda on hosts whose loader cache lacks it.</li>
 * </ol>
 * This class only computes that ordered list of {@link Candidate}s; opening them is
 * {@link CudaLibraryLoader}'s job, so the search can be tested with fake directory trees.
 * Within one directory, newer sonames come first (libcublas.so.13 before .12).
 */
public final class CudaLibraryLocator {
    public static final String LIBDIR_PROPERTY = "sparsestep.cuda.libdir";
    public static final String LIBDIR_ENV = "SPARSESTEP_CUDA_LIBDIR";

    /** Library directories inside a site-packages dir, as NVIDIA's wheels lay them out (CUDA 13 wheels share nvidia/cu13/lib). */
    static final List<String> WHEEL_LIB_SUBDIRS = List.of(
            "nvidia/cu13/lib", "nvidia/cublas/lib", "nvidia/cudnn/lib", "nvidia/cuda_nvrtc/lib",
            "nvidia/cuda_runtime/lib", "nvidia/cu12/lib");

    private static final List<String> DRIVER_DIRS = List.of(
            "usr/lib/x86_64-linux-gnu", "usr/lib64", "usr/lib/wsl/lib", "usr/local/nvidia/lib64", "usr/lib/aarch64-linux-gnu");

    /** Where a candidate came from, in search order. */
    public enum Source {
        OVERRIDE("override"), PYTHON_WHEEL("Python wheel"), SYSTEM_LOADER("system loader"),
        CUDA_TOOLKIT("CUDA toolkit"), DRIVER_DIR("driver directory");

        private final String label;

        Source(String label) { this.label = label; }

        public String label() { return label; }
    }

    /** A library we look for: a display name and the sonames we accept, preferred first. */
    public record Library(String displayName, List<String> sonames) {
        public static final Library DRIVER = new Library("the CUDA driver", List.of("libcuda.so.1"));
        public static final Library CUBLAS = new Library("cuBLAS", List.of("libcublas.so.13", "libcublas.so.12"));
        public static final Library CUDNN = new Library("cuDNN", List.of("libcudnn.so.9", "libcudnn.so.8"));
        public static final Library NVRTC = new Library("NVRTC", List.of("libnvrtc.so.13", "libnvrtc.so.12"));

        public Library {
            sonames = List.copyOf(sonames);
        }

        /** The oldest major we accept: 12 for cuBLAS. */
        public int oldestMajor() {
            return sonames.stream().mapToInt(CudaLibraryLocator::sonameMajor).min().orElse(0);
        }

        /** "cuBLAS (libcublas.so.13 or libcublas.so.12)". */
        public String describe() {
            return displayName + " (" + String.join(" or ", sonames) + ")";
        }
    }

    /**
     * One place to try: a file on disk ({@code file} set), or a soname handed to the
     * dynamic loader ({@code file} null, source SYSTEM_LOADER).
     */
    public record Candidate(Source source, String soname, Path file) {
        public boolean isFile() { return file != null; }

        public Path directory() { return file == null ? null : file.getParent(); }

        /** The soname's major version: 13 for libcublas.so.13. */
        public int major() { return sonameMajor(soname); }

        public String describe() {
            return file != null ? file + " (" + source.label() + ")" : soname + " (system loader)";
        }
    }

    /** What the search reads from the process: environment, system properties, the file-system root and the home directory. */
    public record Environment(UnaryOperator<String> env, UnaryOperator<String> properties, Path fsRoot, Path home) {
        public static Environment system() {
            String home = System.getProperty("user.home", "/root");
            return new Environment(System::getenv, System::getProperty, Path.of("/"), Path.of(home));
        }
    }

    private final Environment environment;
    private final List<Path> overrideDirs;
    private final List<String> missingOverrides;
    private final List<Path> sitePackages;
    private final List<Path> wheelDirs;
    private final List<Path> toolkitDirs;
    private final List<Path> driverDirs;

    public CudaLibraryLocator(Environment environment) {
        this.environment = environment;
        this.missingOverrides = new ArrayList<>();
        this.overrideDirs = findOverrideDirs();
        this.sitePackages = findSitePackages();
        this.wheelDirs = findWheelDirs(sitePackages);
        this.toolkitDirs = findToolkitDirs();
        this.driverDirs = existing(DRIVER_DIRS.stream().map(d -> environment.fsRoot().resolve(d)).toList());
    }

    public static CudaLibraryLocator system() {
        return new CudaLibraryLocator(Environment.system());
    }

    public List<Path> overrideDirs() { return overrideDirs; }

    public List<Path> sitePackages() { return sitePackages; }

    public List<Path> wheelDirs() { return wheelDirs; }

    public List<Path> toolkitDirs() { return toolkitDirs; }

    /** Every place to try for {@code library}, in search order; files that exist, plus the loader's sonames. */
    public List<Candidate> candidates(Library library) {
        List<Candidate> out = new ArrayList<>();
        Set<Path> seen = new LinkedHashSet<>();
        addFiles(out, seen, Source.OVERRIDE, overrideDirs, library);
        addFiles(out, seen, Source.PYTHON_WHEEL, wheelDirs, library);
        for (String soname : library.sonames()) out.add(new Candidate(Source.SYSTEM_LOADER, soname, null));
        addFiles(out, seen, Source.CUDA_TOOLKIT, toolkitDirs, library);
        addFiles(out, seen, Source.DRIVER_DIR, driverDirs, library);
        return out;
    }

    /**
     * Files of {@code library} in the searched directories whose major version is older than
     * every soname we accept (libcublas.so.11 where 13 or 12 is wanted), for the "too old"
     * part of an error message.
     */
    public List<Path> olderVersions(Library library) {
        int oldest = library.oldestMajor();
        String stem = library.sonames().getFirst();
        stem = stem.substring(0, stem.lastIndexOf(".so.") + 4);
        List<Path> out = new ArrayList<>();
        List<Path> dirs = new ArrayList<>(overrideDirs);
        dirs.addAll(wheelDirs);
        dirs.addAll(toolkitDirs);
        dirs.addAll(driverDirs);
        for (Path dir : dirs) {
            try (Stream<Path> files = Files.list(dir)) {
                String prefix = stem;
                files.filter(f -> f.getFileName().toString().startsWith(prefix))
                        .filter(f -> {
                            int major = sonameMajor(f.getFileName().toString());
                            return major > 0 && major < oldest;
                        })
                        .sorted()
                        .forEach(out::add);
            } catch (IOException e) {
                // an unreadable directory has nothing to report
            }
        }
        return List.copyOf(out);
    }

    /** The file {@code soname} in {@code dir}, if it exists (for a library's dependencies and sub-libraries next to it). */
    public static java.util.Optional<Path> sibling(Path dir, String soname) {
        if (dir == null) return java.util.Optional.empty();
        Path p = dir.resolve(soname);
        return Files.isRegularFile(p) ? java.util.Optional.of(p) : java.util.Optional.empty();
    }

    /**
     * One line saying where the search looked, for error messages: the override (or that it
     * is unset), the site-packages dirs scanned, the loader, the toolkit dirs.
     */
    public String searchedSummary() {
        List<String> parts = new ArrayList<>();
        String prop = environment.properties().apply(LIBDIR_PROPERTY);
        String env = environment.env().apply(LIBDIR_ENV);
        if (isBlank(prop) && isBlank(env)) {
            parts.add(LIBDIR_ENV + " (unset)");
        } else {
            String o = (isBlank(prop) ? "" : "-D" + LIBDIR_PROPERTY + "=" + prop + " ")
                    + (isBlank(env) ? "" : LIBDIR_ENV + "=" + env);
            if (!missingOverrides.isEmpty()) o += " (missing: " + String.join(", ", missingOverrides) + ")";
            parts.add(o.strip());
        }
        parts.add(sitePackages.isEmpty()
                ? "Python wheels (no site-packages found)"
                : "Python wheels in " + sitePackages.size() + " site-packages " + sitePackages);
        String ld = environment.env().apply("LD_LIBRARY_PATH");
        parts.add("the system loader (LD_LIBRARY_PATH=" + (isBlank(ld) ? "unset" : ld) + ", ldconfig cache)");
        parts.add(toolkitDirs.isEmpty() ? "no CUDA toolkit lib64" : "CUDA toolkit " + toolkitDirs);
        return String.join("; ", parts);
    }

    // ------------------------------------------------------------------ search roots

    private List<Path> findOverrideDirs() {
        List<Path> dirs = new ArrayList<>();
        for (String value : new String[] {environment.properties().apply(LIBDIR_PROPERTY), environment.env().apply(LIBDIR_ENV)}) {
            if (isBlank(value)) continue;
            for (String part : value.split(File.pathSeparator)) {
                if (part.isBlank()) continue;
                Path p = Path.of(part.strip());
                if (Files.isDirectory(p)) dirs.add(p);
                else missingOverrides.add(part.strip());
            }
        }
        return dedupe(dirs);
    }

    private List<Path> findSitePackages() {
        List<Path> sites = new ArrayList<>();
        Path root = environment.fsRoot();
        for (String prefixVar : new String[] {"VIRTUAL_ENV", "CONDA_PREFIX"}) {
            String prefix = environment.env().apply(prefixVar);
            if (!isBlank(prefix)) sites.addAll(pythonSites(Path.of(prefix).resolve("lib")));
        }
        String pythonPath = environment.env().apply("PYTHONPATH");
        if (!isBlank(pythonPath)) {
            for (String part : pythonPath.split(File.pathSeparator)) {
                if (!part.isBlank()) sites.add(Path.of(part.strip()));
            }
        }
        // the environment of the python3 on PATH (a venv such as /opt/torch/.venv/bin/python3
        // keeps its wheels in /opt/torch/.venv/lib/python3.X/site-packages)
        String path = environment.env().apply("PATH");
        if (!isBlank(path)) {
            for (String dir : path.split(File.pathSeparator)) {
                if (dir.isBlank()) continue;
                Path bin = Path.of(dir.strip());
                if (Files.exists(bin.resolve("python3")) && bin.getParent() != null) {
                    sites.addAll(pythonSites(bin.getParent().resolve("lib")));
                }
            }
        }
        sites.addAll(pythonSites(environment.home().resolve(".local/lib")));
        sites.addAll(pythonSites(root.resolve("usr/local/lib")));
        sites.addAll(pythonSites(root.resolve("usr/lib")));
        sites.addAll(pythonSites(root.resolve("opt/conda/lib")));
        return existing(dedupe(sites));
    }

    /** {@code libDir}/python3.X/{site,dist}-packages, newest Python first. */
    static List<Path> pythonSites(Path libDir) {
        if (!Files.isDirectory(libDir)) return List.of();
        List<Path> pythons;
        try (Stream<Path> children = Files.list(libDir)) {
            pythons = children.filter(p -> p.getFileName().toString().startsWith("python3") && Files.isDirectory(p))
                    .sorted(Comparator.comparingInt((Path p) -> pythonMinor(p.getFileName().toString())).reversed()
                            .thenComparing(p -> p.getFileName().toString()))
                    .toList();
        } catch (IOException e) {
            return List.of();
        }
        List<Path> sites = new ArrayList<>();
        for (Path py : pythons) {
            sites.add(py.resolve("site-packages"));
            sites.add(py.resolve("dist-packages"));
        }
        return sites;
    }

    /** 12 for "python3.12", -1 for "python3" (Debian's shared dist-packages goes last). */
    static int pythonMinor(String dirName) {
        String rest = dirName.substring("python3".length());
        if (!rest.startsWith(".")) return -1;
        int end = 1;
        while (end < rest.length() && Character.isDigit(rest.charAt(end))) end++;
        return end == 1 ? -1 : Integer.parseInt(rest.substring(1, end));
    }

    private static List<Path> findWheelDirs(List<Path> sites) {
        List<Path> dirs = new ArrayList<>();
        for (Path site : sites) {
            for (String sub : WHEEL_LIB_SUBDIRS) dirs.add(site.resolve(sub));
        }
        return existing(dirs);
    }

    private List<Path> findToolkitDirs() {
        List<Path> dirs = new ArrayList<>();
        for (String var : new String[] {"CUDA_HOME", "CUDA_PATH"}) {
            String home = environment.env().apply(var);
            if (!isBlank(home)) dirs.add(Path.of(home).resolve("lib64"));
        }
        dirs.add(environment.fsRoot().resolve("usr/local/cuda/lib64"));
        return existing(dedupe(dirs));
    }

    // ------------------------------------------------------------------ helpers

    private static void addFiles(List<Candidate> out, Set<Path> seen, Source source, List<Path> dirs, Library library) {
        for (Path dir : dirs) {
            for (String soname : library.sonames()) {
                Path file = dir.resolve(soname);
                if (Files.isRegularFile(file) && seen.add(canonical(file))) out.add(new Candidate(source, soname, file));
            }
        }
    }

    static int sonameMajor(String soname) {
        int dot = soname.lastIndexOf(".so.");
        if (dot < 0) return -1;
        String rest = soname.substring(dot + 4);
        int end = 0;
        while (end < rest.length() && Character.isDigit(rest.charAt(end))) end++;
        return end == 0 ? -1 : Integer.parseInt(rest.substring(0, end));
    }

    private static List<Path> existing(List<Path> dirs) {
        return dedupe(dirs.stream().filter(Files::isDirectory).toList());
    }

    /** Drops repeats, comparing real paths (a venv's lib64 -> lib symlink must not be searched twice). */
    private static List<Path> dedupe(List<Path> dirs) {
        Set<Path> seen = new LinkedHashSet<>();
        List<Path> out = new ArrayList<>();
        for (Path d : dirs) {
            if (seen.add(canonical(d))) out.add(d);
        }
        return List.copyOf(out);
    }

    private static Path canonical(Path p) {
        try {
            return p.toRealPath();
        } catch (IOException e) {
            return p.toAbsolutePath().normalize();
        }
    }

    private static boolean isBlank(String s) {
        return s == null || s.isBlank();
    }
}
