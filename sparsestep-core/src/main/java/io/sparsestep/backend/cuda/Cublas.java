package io.sparsestep.backend.cuda;

import io.sparsestep.backend.cuda.CudaLibraryLoader.CublasLibraries;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.util.Optional;

import static io.sparsestep.backend.cuda.NativeBinder.FLOAT;
import static io.sparsestep.backend.cuda.NativeBinder.HANDLE;
import static io.sparsestep.backend.cuda.NativeBinder.INT;
import static io.sparsestep.backend.cuda.NativeBinder.PTR;

/**
 * One cuBLAS handle bound to one stream (libcublas.so.13 or .12, legacy _v2 API). Only
 * SGEMM is needed: linear layers in row-major through {@link GemmMapping}. The handle uses
 * CUBLAS_DEFAULT_MATH, which for float32 never uses TF32 tensor cores, so results match the
 * CPU backend to float rounding. alpha and beta are host scalars (the default pointer
 * mode), read during the call.
 */
public final class Cublas implements AutoCloseable {
    static final int CUBLAS_OP_N = 0;
    static final int CUBLAS_OP_T = 1;
    static final int CUBLAS_DEFAULT_MATH = 0;

    private final MethodHandle destroy, setStream, sgemm, getVersion, setMathMode;
    private final Optional<MethodHandle> getStatusString;
    private final String libraryPath;
    private final MemorySegment alphaScalar;
    private final MemorySegment betaScalar;
    private final long handle;
    private boolean closed;

    private Cublas(CublasLibraries libs, long stream) {
        NativeBinder b = new NativeBinder(libs.cublas().lookup(), libs.cublas().soname());
        MethodHandle create = b.bind("cublasCreate_v2", FunctionDescriptor.of(INT, PTR));
        destroy = b.bind("cublasDestroy_v2", FunctionDescriptor.of(INT, HANDLE));
        setStream = b.bind("cublasSetStream_v2", FunctionDescriptor.of(INT, HANDLE, HANDLE));
        getVersion = b.bind("cublasGetVersion_v2", FunctionDescriptor.of(INT, HANDLE, PTR));
        setMathMode = b.bind("cublasSetMathMode", FunctionDescriptor.of(INT, HANDLE, INT));
        // cublasSgemm_v2(handle, transa, transb, m, n, k, *alpha, A, lda, B, ldb, *beta, C, ldc)
        sgemm = b.bind("cublasSgemm_v2", FunctionDescriptor.of(INT, HANDLE, INT, INT, INT, INT, INT,
                PTR, HANDLE, INT, HANDLE, INT, PTR, HANDLE, INT));
        getStatusString = b.bindOptional("cublasGetStatusString", FunctionDescriptor.of(PTR, INT));
        libraryPath = libs.cublas().describe();
        MemorySegment scalars = Arena.ofAuto().allocate(FLOAT, 2);
        alphaScalar = scalars.asSlice(0, 4);
        betaScalar = scalars.asSlice(4, 4);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(HANDLE);
            check((int) create.invokeExact(out), "cublasCreate_v2");
            handle = out.get(HANDLE, 0);
            check((int) setStream.invokeExact(handle, stream), "cublasSetStream_v2");
            check((int) setMathMode.invokeExact(handle, CUBLAS_DEFAULT_MATH), "cublasSetMathMode");
        } catch (Throwable t) {
            throw NativeBinder.rethrow(t);
        }
    }

    /** A handle on {@code stream}, created in the calling thread's current context. */
    public static Cublas create(long stream) {
        return new Cublas(CudaLibraries.cublas(), stream);
    }

    static Cublas create(CublasLibraries libs, long stream) {
        return new Cublas(libs, stream);
    }

    /**
     * The library's version from cublasGetProperty (major*10000 + minor*100 + patch, as
     * {@link #version()} encodes it), which needs no handle and so no GPU; empty when the
     * library lacks the function or refuses.
     */
    static java.util.OptionalInt propertyVersion(CublasLibraries libs) {
        Optional<MethodHandle> getProperty = new NativeBinder(libs.cublas().lookup(), libs.cublas().soname())
                .bindOptional("cublasGetProperty", FunctionDescriptor.of(INT, INT, PTR));
        if (getProperty.isEmpty()) return java.util.OptionalInt.empty();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(INT);
            int[] parts = new int[3]; // MAJOR_VERSION = 0, MINOR_VERSION = 1, PATCH_LEVEL = 2
            for (int i = 0; i < 3; i++) {
                if ((int) getProperty.get().invokeExact(i, out) != 0) return java.util.OptionalInt.empty();
                parts[i] = out.get(INT, 0);
            }
            return java.util.OptionalInt.of(parts[0] * 10000 + parts[1] * 100 + parts[2]);
        } catch (Throwable t) {
            throw NativeBinder.rethrow(t);
        }
    }

    /** e.g. 130100 for cuBLAS 13.1.0. */
    public int version() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(INT);
            check((int) getVersion.invokeExact(handle, out), "cublasGetVersion_v2");
            return out.get(INT, 0);
        } catch (Throwable t) {
            throw NativeBinder.rethrow(t);
        }
    }

    /** "libcublas.so.13 (/path/to/it)". */
    public String library() { return libraryPath; }

    /** Row-major C = alpha*op(A)*op(B) + beta*C on device pointers (see {@link GemmMapping}). Not thread-safe. */
    public void sgemmRowMajor(GemmMapping g, float alpha, long a, long b, float beta, long c) {
        alphaScalar.set(FLOAT, 0, alpha);
        betaScalar.set(FLOAT, 0, beta);
        try {
            int rc = (int) sgemm.invokeExact(handle, g.transFirst() ? CUBLAS_OP_T : CUBLAS_OP_N, g.transSecond() ? CUBLAS_OP_T : CUBLAS_OP_N,
                    g.rows(), g.cols(), g.inner(), alphaScalar, b, g.ldFirst(), a, g.ldSecond(),
                    betaScalar, c, g.ldc());
            if (rc != 0) check(rc, "cublasSgemm_v2");
        } catch (Throwable t) {
            throw NativeBinder.rethrow(t);
        }
    }

    private void check(int status, String function) {
        if (status == 0) return;
        String description = null;
        if (getStatusString.isPresent()) {
            try {
                description = NativeBinder.cString((MemorySegment) getStatusString.get().invokeExact(status));
            } catch (Throwable ignored) {
                // fall back to the name alone
            }
        }
        throw new CudaException("cuBLAS", function, status, CudaErrorNames.cublasStatus(status), description);
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        try {
            check((int) destroy.invokeExact(handle), "cublasDestroy_v2");
        } catch (Throwable t) {
            throw NativeBinder.rethrow(t);
        }
    }
}
