package io.sparsestep.backend.cuda;

import io.sparsestep.backend.cuda.CudaLibraryLoader.CublasLibraries;
import io.sparsestep.backend.cuda.CudaLibraryLoader.CudnnLibraries;
import io.sparsestep.backend.cuda.CudaLibraryLoader.LoadedLibrary;
import io.sparsestep.backend.cuda.CudaLibraryLocator.Library;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * The process-wide CUDA libraries, loaded once on first use through the system
 * {@link CudaLibraryLocator}. A failure is remembered too: asking again gives the same
 * one-line {@link CudaUnavailableException} without searching the disk again.
 */
final class CudaLibraries {
    private static CudaLibraryLoader loader;
    private static Outcome<LoadedLibrary> driver;
    private static Outcome<CublasLibraries> cublas;
    private static Outcome<CudnnLibraries> cudnn;

    private CudaLibraries() {}

    static synchronized LoadedLibrary driver() {
        if (driver == null) driver = Outcome.of(() -> loader().loadDriver());
        return driver.get();
    }

    static synchronized CublasLibraries cublas() {
        driver();
        if (cublas == null) cublas = Outcome.of(() -> loader().loadCublas());
        return cublas.get();
    }

    static synchronized CudnnLibraries cudnn() {
        CublasLibraries blas = cublas();
        if (cudnn == null) {
            cudnn = Outcome.of(() -> {
                loader().loadOptional(Library.NVRTC, blas.cublas().major());
                return loader().loadCudnn();
            });
        }
        return cudnn.get();
    }

    /** One line per library loaded so far ("libcublas.so.13 (/path)"), then the loader's notes. */
    static synchronized List<String> describe() {
        if (loader == null) return List.of();
        List<String> lines = new ArrayList<>();
        for (LoadedLibrary l : loader.loaded()) lines.add(l.describe());
        for (String n : loader.notes()) lines.add("note: " + n);
        return lines;
    }

    private static CudaLibraryLoader loader() {
        if (loader == null) loader = new CudaLibraryLoader(CudaLibraryLocator.system(), CudaLibraryLoader.DLOPEN);
        return loader;
    }

    /** A value, or the message of the CudaUnavailableException that prevented it. */
    private record Outcome<T>(T value, String failure) {
        static <T> Outcome<T> of(Supplier<T> load) {
            try {
                return new Outcome<>(load.get(), null);
            } catch (CudaUnavailableException e) {
                return new Outcome<>(null, e.getMessage());
            }
        }

        T get() {
            if (failure != null) throw new CudaUnavailableException(failure);
            return value;
        }
    }
}
