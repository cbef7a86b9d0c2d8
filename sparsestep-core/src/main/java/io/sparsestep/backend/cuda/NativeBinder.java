package io.sparsestep.backend.cuda;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.Optional;

/**
 * Turns C functions of one loaded library into method handles. A missing symbol is a
 * {@link CudaUnavailableException} naming the library file and the function, because it
 * means the library is too old (or not the library we think it is), not a transient error.
 *
 * <p>Layout convention of every binding in this package: pointers and handles passed by
 * value are declared {@code JAVA_LONG} (CUdeviceptr, CUstream, cudnnHandle_t, ...). On the
 * 64-bit Linux ABIs this backend supports, a pointer and a 64-bit integer travel in the same
 * register, and a {@code long} saves wrapping every device address in a MemorySegment.
 * Pointers to host memory that the callee reads or writes (out-parameters, strings, host
 * scalars) are {@code ADDRESS} so that the segment's bounds are checked on our side.
 */
@SuppressWarnings("restricted") // binding C functions is what this class is for
final class NativeBinder {
    static final ValueLayout.OfLong HANDLE = ValueLayout.JAVA_LONG;
    static final ValueLayout.OfLong SIZE_T = ValueLayout.JAVA_LONG;
    static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT;
    static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT;
    static final ValueLayout.OfDouble DOUBLE = ValueLayout.JAVA_DOUBLE;
    static final java.lang.foreign.AddressLayout PTR = ValueLayout.ADDRESS;

    private static final Linker LINKER = Linker.nativeLinker();

    private final SymbolLookup lookup;
    private final String libraryLabel;

    NativeBinder(SymbolLookup lookup, String libraryLabel) {
        this.lookup = lookup;
        this.libraryLabel = libraryLabel;
    }

    /** The function, or CudaUnavailableException if the library does not export it. */
    MethodHandle bind(String symbol, FunctionDescriptor descriptor) {
        return bindOptional(symbol, descriptor).orElseThrow(() -> new CudaUnavailableException(
                "CUDA unavailable: " + libraryLabel + " has no function " + symbol
                        + " (library too old or not the expected one); point SPARSESTEP_CUDA_LIBDIR at a newer copy"));
    }

    /** The first of several names the library exports (a _v2 entry point, then the original). */
    MethodHandle bindFirst(FunctionDescriptor descriptor, String... symbols) {
        for (String s : symbols) {
            Optional<MethodHandle> h = bindOptional(s, descriptor);
            if (h.isPresent()) return h.get();
        }
        return bind(symbols[0], descriptor);
    }

    Optional<MethodHandle> bindOptional(String symbol, FunctionDescriptor descriptor) {
        return lookup.find(symbol).map(address -> LINKER.downcallHandle(address, descriptor));
    }

    /** A NUL-terminated C string at a native address, or null for NULL. */
    static String cString(MemorySegment pointer) {
        if (pointer == null || pointer.equals(MemorySegment.NULL) || pointer.address() == 0) return null;
        return pointer.reinterpret(Integer.MAX_VALUE).getString(0);
    }

    /** Wraps what a downcall threw (it cannot throw checked exceptions, but invokeExact is declared to). */
    static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) return r;
        if (t instanceof Error e) throw e;
        return new IllegalStateException("native call failed: " + t, t);
    }
}
