package io.sparsestep.backend.cuda;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Why a library file would not load. The JDK's {@code SymbolLookup.libraryLookup} says only
 * "Cannot open library"; the dynamic loader knows the real reason (usually a missing
 * dependency, e.g. "libcublasLt.so.13: cannot open shared object file"), so on failure we
 * ask it once more through dlopen/dlerror. Best effort: an empty result means "no details".
 */
@SuppressWarnings("restricted")
final class DlError {
    private static final int RTLD_LAZY = 0x1;

    private DlError() {}

    static Optional<String> explain(Path file) {
        try {
            Linker linker = Linker.nativeLinker();
            var libc = linker.defaultLookup();
            var dlopenAddr = libc.find("dlopen");
            var dlerrorAddr = libc.find("dlerror");
            var dlcloseAddr = libc.find("dlclose");
            if (dlopenAddr.isEmpty() || dlerrorAddr.isEmpty() || dlcloseAddr.isEmpty()) return Optional.empty();
            MethodHandle dlopen = linker.downcallHandle(dlopenAddr.get(),
                    FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
            MethodHandle dlerror = linker.downcallHandle(dlerrorAddr.get(), FunctionDescriptor.of(ValueLayout.ADDRESS));
            MethodHandle dlclose = linker.downcallHandle(dlcloseAddr.get(), FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS));
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment handle = (MemorySegment) dlopen.invokeExact(arena.allocateFrom(file.toString()), RTLD_LAZY);
                if (handle.address() != 0) {
                    int ignored = (int) dlclose.invokeExact(handle);
                    return Optional.empty();
                }
                return Optional.ofNullable(NativeBinder.cString((MemorySegment) dlerror.invokeExact()));
            }
        } catch (Throwable t) {
            return Optional.empty();
        }
    }
}
