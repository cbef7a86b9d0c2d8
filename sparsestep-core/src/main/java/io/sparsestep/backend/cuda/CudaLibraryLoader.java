package io.sparsestep.backend.cuda;

import io.sparsestep.backend.cuda.CudaLibraryLocator.Candidate;
import io.sparsestep.backend.cuda.CudaLibraryLocator.Library;

import java.lang.foreign.Arena;
import java.lang.foreign.SymbolLookup;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Opens the libraries that {@link CudaLibraryLocator} found, dependencies first, and keeps
 * them resident for the life of the JVM ({@code Arena.global()}).
 *
 * <p>Why dependencies first: a wheel's libcublas.so.13 needs libcublasLt.so.13, and cuDNN 9's
 * libcudnn.so.9 loads its sub-libraries (libcudnn_graph, libcudnn_ops, libcudnn_cnn, ...)
 * by soname when first used. When those live in a site-packages directory that is not on
 * LD_LIBRARY_PATH, the loader would not find them by name; once a file with that soname is
 * loaded (by absolute path), every later lookup by soname resolves to it. So we open them
 * by path from the directory where we found the main library, before the main library.
 *
 * <p>The first candidate that loads wins. A candidate that exists but fails to load (wrong
 * architecture, missing dependency) is remembered with the loader's reason and the search
 * goes on; if nothing loads, the one-line {@link CudaUnavailableException} lists it.
 */
final class CudaLibraryLoader {

    /** dlopen, replaceable in tests. Throws (any RuntimeException) when the candidate does not load. */
    interface Opener {
        SymbolLookup open(Candidate candidate);
    }

    @SuppressWarnings("restricted")
    static final Opener DLOPEN = c -> c.isFile()
            ? SymbolLookup.libraryLookup(c.file(), Arena.global())
            : SymbolLookup.libraryLookup(c.soname(), Arena.global());

    /** A library that loaded: which soname, from where, and its symbols. */
    record LoadedLibrary(String soname, Candidate from, SymbolLookup lookup) {
        String describe() {
            return soname + " (" + (from.isFile() ? from.file().toString() : "system loader") + ")";
        }

        int major() { return CudaLibraryLocator.sonameMajor(soname); }
    }

    record CublasLibraries(LoadedLibrary cublasLt, LoadedLibrary cublas) {}

    record CudnnLibraries(LoadedLibrary cudnn, List<LoadedLibrary> subLibraries) {
        int major() { return cudnn.major(); }
    }

    /** cuDNN 9 sub-libraries, each depending only on ones before it (graph first; engines and ops before cnn; adv last). */
    static final List<String> CUDNN9_SUBLIBRARIES = List.of(
            "libcudnn_graph", "libcudnn_engines_precompiled", "libcudnn_engines_runtime_compiled",
            "libcudnn_heuristic", "libcudnn_ops", "libcudnn_cnn", "libcudnn_adv");
    static final List<String> CUDNN8_SUBLIBRARIES = List.of(
            "libcudnn_ops_infer", "libcudnn_ops_train", "libcudnn_cnn_infer", "libcudnn_cnn_train",
            "libcudnn_adv_infer", "libcudnn_adv_train");

    private final CudaLibraryLocator locator;
    private final Opener opener;
    private final List<LoadedLibrary> loaded = new ArrayList<>();
    private final List<String> notes = new ArrayList<>();

    CudaLibraryLoader(CudaLibraryLocator locator, Opener opener) {
        this.locator = locator;
        this.opener = opener;
    }

    /** Every library loaded so far, in load order. */
    List<LoadedLibrary> loaded() { return List.copyOf(loaded); }

    /** Non-fatal problems (an optional library or a sub-library that did not load). */
    List<String> notes() { return List.copyOf(notes); }

    LoadedLibrary loadDriver() {
        return loadFirst(Library.DRIVER, this::open);
    }

    /** cuBLAS, with libcublasLt of the same major from the same directory loaded first. */
    CublasLibraries loadCublas() {
        return loadFirst(Library.CUBLAS, c -> {
            LoadedLibrary lt = null;
            Optional<Path> ltFile = CudaLibraryLocator.sibling(c.directory(), "libcublasLt.so." + c.major());
            if (ltFile.isPresent()) lt = open(new Candidate(c.source(), "libcublasLt.so." + c.major(), ltFile.get()));
            return new CublasLibraries(lt, open(c));
        });
    }

    /**
     * cuDNN, with the sub-libraries next to it loaded first. A sub-library that fails to load
     * is only a note: cuDNN loads them lazily and reports the failure with its own status
     * when an operation needs one (e.g. the runtime-compiled engines need NVRTC).
     */
    CudnnLibraries loadCudnn() {
        return loadFirst(Library.CUDNN, c -> {
            List<LoadedLibrary> subs = new ArrayList<>();
            List<String> names = c.major() >= 9 ? CUDNN9_SUBLIBRARIES : CUDNN8_SUBLIBRARIES;
            for (String base : names) {
                String soname = base + ".so." + c.major();
                Optional<Path> file = CudaLibraryLocator.sibling(c.directory(), soname);
                if (file.isEmpty()) continue;
                try {
                    subs.add(open(new Candidate(c.source(), soname, file.get())));
                } catch (RuntimeException e) {
                    notes.add(soname + " at " + file.get() + " did not load (" + reason(e, file.get()) + ")");
                }
            }
            return new CudnnLibraries(open(c), List.copyOf(subs));
        });
    }

    /** A library that helps but is not required (NVRTC, for cuDNN's runtime-compiled engines); a miss is a note. */
    Optional<LoadedLibrary> loadOptional(Library library, int preferredMajor) {
        List<Candidate> candidates = new ArrayList<>(locator.candidates(library));
        // Same CUDA major as cuBLAS first: NVRTC 12 does not serve a cuDNN built for CUDA 13.
        candidates.sort((a, b) -> Boolean.compare(b.major() == preferredMajor, a.major() == preferredMajor));
        for (Candidate c : candidates) {
            try {
                return Optional.of(open(c));
            } catch (RuntimeException e) {
                // try the next one
            }
        }
        notes.add(library.describe() + " not found (optional)");
        return Optional.empty();
    }

    // ------------------------------------------------------------------ internals

    private interface CandidateLoader<T> {
        T load(Candidate c);
    }

    private <T> T loadFirst(Library library, CandidateLoader<T> how) {
        List<String> failures = new ArrayList<>();
        for (Candidate c : locator.candidates(library)) {
            try {
                return how.load(c);
            } catch (RuntimeException e) {
                // A soname the loader does not know is an ordinary miss; a file we found that
                // does not load is worth reporting.
                if (c.isFile()) failures.add(c.file() + ": " + reason(e, c.file()));
            }
        }
        List<String> found = new ArrayList<>(loaded.stream().map(LoadedLibrary::describe).toList());
        found.addAll(otherLibrariesOnDisk(library));
        List<String> older = locator.olderVersions(library).stream().map(Path::toString).toList();
        throw new CudaUnavailableException(unavailableMessage(library, locator.searchedSummary(), found, failures, older));
    }

    /**
     * The first file of each other CUDA library we would load and have not yet: when the
     * driver is missing, the message then says that cuBLAS and cuDNN are there, so the
     * reader knows it is the driver (the GPU) that is absent, not the whole stack.
     */
    private List<String> otherLibrariesOnDisk(Library missing) {
        List<String> out = new ArrayList<>();
        for (Library other : List.of(Library.DRIVER, Library.CUBLAS, Library.CUDNN)) {
            if (other.equals(missing)) continue;
            boolean alreadyLoaded = loaded.stream().anyMatch(l -> other.sonames().contains(l.soname()));
            if (alreadyLoaded) continue;
            locator.candidates(other).stream().filter(Candidate::isFile).findFirst()
                    .ifPresent(c -> out.add(c.soname() + " at " + c.file() + " (not loaded)"));
        }
        return out;
    }

    private LoadedLibrary open(Candidate c) {
        SymbolLookup lookup = opener.open(c);
        LoadedLibrary lib = new LoadedLibrary(c.soname(), c, lookup);
        loaded.add(lib);
        return lib;
    }

    private static String reason(RuntimeException e, Path file) {
        return DlError.explain(file).orElse(String.valueOf(e.getMessage()));
    }

    /**
     * The one-line message when {@code library} cannot be loaded: what was searched, what was
     * found (libraries loaded so far, files that failed), and how to point at it.
     */
    static String unavailableMessage(Library library, String searched, List<String> found, List<String> failedFiles,
                                     List<String> olderFiles) {
        StringBuilder sb = new StringBuilder("CUDA unavailable: ").append(library.describe());
        sb.append(!failedFiles.isEmpty() ? " found but not loadable" : olderFiles.isEmpty() ? " not found" : " not found in a supported version");
        sb.append("; searched ").append(searched);
        sb.append("; found ").append(found.isEmpty() ? "no CUDA library" : String.join(", ", found));
        if (!failedFiles.isEmpty()) sb.append("; failed to load ").append(String.join(", ", failedFiles));
        if (!olderFiles.isEmpty()) {
            sb.append("; too old: ").append(String.join(", ", olderFiles)).append(" (").append(library.displayName())
                    .append(' ').append(library.oldestMajor()).append(" or newer needed)");
        }
        sb.append("; fix: set ").append(CudaLibraryLocator.LIBDIR_ENV).append(" (or -D").append(CudaLibraryLocator.LIBDIR_PROPERTY)
                .append(") to the directory holding ").append(library.sonames().getFirst());
        if (library == Library.DRIVER) sb.append(" (installed with the NVIDIA driver; no GPU driver means no CUDA)");
        sb.append(", or use the CPU backend");
        return CudaUnavailableException.oneLine(sb.toString());
    }
}
