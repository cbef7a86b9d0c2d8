package io.sparsestep.backend.cuda;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.charset.StandardCharsets;

import static io.sparsestep.backend.cuda.NativeBinder.HANDLE;
import static io.sparsestep.backend.cuda.NativeBinder.INT;
import static io.sparsestep.backend.cuda.NativeBinder.PTR;
import static io.sparsestep.backend.cuda.NativeBinder.SIZE_T;

/**
 * The CUDA driver API (libcuda.so.1) through java.lang.foreign: the calls this backend
 * needs and nothing else. Every call is checked; a failure is a {@link CudaException}
 * naming the function, the CUresult name (cuGetErrorName) and its description
 * (cuGetErrorString).
 *
 * <p>Threads: the driver keeps the current context per OS thread. Methods that act on
 * memory, streams, modules or launches need a context current on the calling thread
 * ({@link #setCurrent}); {@link CudaBackend} makes its primary context current whenever a
 * different Java thread enters it. Handles (contexts, streams, events, modules, functions)
 * and device pointers are plain {@code long}s.
 */
public final class CudaDriver {
    static final int CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT = 16;
    static final int CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR = 75;
    static final int CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR = 76;
    static final int CU_STREAM_DEFAULT = 0;
    static final int CU_EVENT_DEFAULT = 0;
    // CUjit_option values from cuda.h
    /** cuModuleLoadData* on a driver older than the PTX's ISA version. */
    static final int CUDA_ERROR_UNSUPPORTED_PTX_VERSION = 222;
    static final int CU_JIT_INFO_LOG_BUFFER = 3;
    static final int CU_JIT_INFO_LOG_BUFFER_SIZE_BYTES = 4;
    static final int CU_JIT_ERROR_LOG_BUFFER = 5;
    static final int CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES = 6;
    private static final int JIT_LOG_BYTES = 16 * 1024;

    private static volatile CudaDriver instance;

    private final MethodHandle cuInit, cuDriverGetVersion, cuDeviceGetCount, cuDeviceGet, cuDeviceGetName,
            cuDeviceTotalMem, cuDeviceGetAttribute, cuDevicePrimaryCtxRetain, cuDevicePrimaryCtxRelease, cuDevicePrimaryCtxGetState,
            cuCtxSetCurrent, cuCtxGetCurrent, cuCtxGetDevice, cuCtxSynchronize,
            cuStreamCreate, cuStreamDestroy, cuStreamSynchronize,
            cuEventCreate, cuEventRecord, cuEventSynchronize, cuEventElapsedTime, cuEventDestroy,
            cuMemAlloc, cuMemFree, cuMemcpyHtoDAsync, cuMemcpyDtoHAsync, cuMemcpyDtoDAsync, cuMemsetD32Async,
            cuMemGetInfo, cuModuleLoadDataEx, cuModuleGetFunction, cuModuleUnload, cuLaunchKernel,
            cuGetErrorName, cuGetErrorString;

    CudaDriver(SymbolLookup libcuda) {
        NativeBinder b = new NativeBinder(libcuda, "libcuda.so.1");
        FunctionDescriptor intToInt = FunctionDescriptor.of(INT, INT);
        FunctionDescriptor handleToInt = FunctionDescriptor.of(INT, HANDLE);
        FunctionDescriptor ptrToInt = FunctionDescriptor.of(INT, PTR);
        cuInit = b.bind("cuInit", intToInt);
        cuDriverGetVersion = b.bind("cuDriverGetVersion", ptrToInt);
        cuDeviceGetCount = b.bind("cuDeviceGetCount", ptrToInt);
        cuDeviceGet = b.bind("cuDeviceGet", FunctionDescriptor.of(INT, PTR, INT));
        cuDeviceGetName = b.bind("cuDeviceGetName", FunctionDescriptor.of(INT, PTR, INT, INT));
        cuDeviceTotalMem = b.bind("cuDeviceTotalMem_v2", FunctionDescriptor.of(INT, PTR, INT));
        cuDeviceGetAttribute = b.bind("cuDeviceGetAttribute", FunctionDescriptor.of(INT, PTR, INT, INT));
        cuDevicePrimaryCtxRetain = b.bind("cuDevicePrimaryCtxRetain", FunctionDescriptor.of(INT, PTR, INT));
        cuDevicePrimaryCtxRelease = b.bindFirst(intToInt, "cuDevicePrimaryCtxRelease_v2", "cuDevicePrimaryCtxRelease");
        // (dev, unsigned int *flags, int *active)
        cuDevicePrimaryCtxGetState = b.bind("cuDevicePrimaryCtxGetState", FunctionDescriptor.of(INT, INT, PTR, PTR));
        cuCtxSetCurrent = b.bind("cuCtxSetCurrent", handleToInt);
        cuCtxGetCurrent = b.bind("cuCtxGetCurrent", ptrToInt);
        cuCtxGetDevice = b.bind("cuCtxGetDevice", ptrToInt);
        cuCtxSynchronize = b.bind("cuCtxSynchronize", FunctionDescriptor.of(INT));
        cuStreamCreate = b.bind("cuStreamCreate", FunctionDescriptor.of(INT, PTR, INT));
        cuStreamDestroy = b.bindFirst(handleToInt, "cuStreamDestroy_v2", "cuStreamDestroy");
        cuStreamSynchronize = b.bind("cuStreamSynchronize", handleToInt);
        cuEventCreate = b.bind("cuEventCreate", FunctionDescriptor.of(INT, PTR, INT));
        cuEventRecord = b.bind("cuEventRecord", FunctionDescriptor.of(INT, HANDLE, HANDLE));
        cuEventSynchronize = b.bind("cuEventSynchronize", handleToInt);
        cuEventElapsedTime = b.bindFirst(FunctionDescriptor.of(INT, PTR, HANDLE, HANDLE), "cuEventElapsedTime_v2", "cuEventElapsedTime");
        cuEventDestroy = b.bindFirst(handleToInt, "cuEventDestroy_v2", "cuEventDestroy");
        cuMemAlloc = b.bind("cuMemAlloc_v2", FunctionDescriptor.of(INT, PTR, SIZE_T));
        cuMemFree = b.bind("cuMemFree_v2", handleToInt);
        cuMemcpyHtoDAsync = b.bind("cuMemcpyHtoDAsync_v2", FunctionDescriptor.of(INT, HANDLE, PTR, SIZE_T, HANDLE));
        cuMemcpyDtoHAsync = b.bind("cuMemcpyDtoHAsync_v2", FunctionDescriptor.of(INT, PTR, HANDLE, SIZE_T, HANDLE));
        cuMemcpyDtoDAsync = b.bind("cuMemcpyDtoDAsync_v2", FunctionDescriptor.of(INT, HANDLE, HANDLE, SIZE_T, HANDLE));
        cuMemsetD32Async = b.bind("cuMemsetD32Async", FunctionDescriptor.of(INT, HANDLE, INT, SIZE_T, HANDLE));
        cuMemGetInfo = b.bind("cuMemGetInfo_v2", FunctionDescriptor.of(INT, PTR, PTR));
        cuModuleLoadDataEx = b.bind("cuModuleLoadDataEx", FunctionDescriptor.of(INT, PTR, PTR, INT, PTR, PTR));
        cuModuleGetFunction = b.bind("cuModuleGetFunction", FunctionDescriptor.of(INT, PTR, HANDLE, PTR));
        cuModuleUnload = b.bind("cuModuleUnload", handleToInt);
        // cuLaunchKernel(f, gx, gy, gz, bx, by, bz, sharedMem, stream, void** params, void** extra)
        cuLaunchKernel = b.bind("cuLaunchKernel", FunctionDescriptor.of(INT, HANDLE, INT, INT, INT, INT, INT, INT, INT,
                HANDLE, PTR, HANDLE));
        cuGetErrorName = b.bind("cuGetErrorName", FunctionDescriptor.of(INT, INT, PTR));
        cuGetErrorString = b.bind("cuGetErrorString", FunctionDescriptor.of(INT, INT, PTR));
    }

    /**
     * The process-wide driver: loads libcuda.so.1 (see {@link CudaLibraryLocator}) and calls
     * cuInit(0) once. Throws CudaUnavailableException when the library is missing or cuInit
     * fails (no GPU, driver/kernel-module mismatch).
     */
    public static CudaDriver get() {
        CudaDriver d = instance;
        if (d != null) return d;
        synchronized (CudaDriver.class) {
            if (instance == null) {
                CudaDriver created = new CudaDriver(CudaLibraries.driver().lookup());
                try {
                    created.init();
                } catch (CudaException e) {
                    throw new CudaUnavailableException("CUDA unavailable: " + e.getMessage()
                            + " (libcuda.so.1 loaded but the driver cannot start: no GPU visible, or driver and kernel module differ)");
                }
                instance = created;
            }
            return instance;
        }
    }

    // ------------------------------------------------------------------ errors

    /** Throws CudaException for a non-zero CUresult. */
    void check(int result, String function) {
        if (result != 0) throw new CudaException("CUDA driver", function, result, errorName(result), errorString(result));
    }

    /** cuGetErrorName, or the built-in table when the driver does not know the code. */
    public String errorName(int result) {
        String s = errorText(cuGetErrorName, result);
        return s != null ? s : CudaErrorNames.cuResult(result);
    }

    public String errorString(int result) {
        String s = errorText(cuGetErrorString, result);
        return s != null ? s : "unknown CUDA error";
    }

    private static String errorText(MethodHandle fn, int result) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(PTR);
            int rc = (int) fn.invokeExact(result, out);
            return rc == 0 ? NativeBinder.cString(out.get(PTR, 0)) : null;
        } catch (Throwable t) {
            return null;
        }
    }

    // ------------------------------------------------------------------ device and context

    void init() {
        try {
            check((int) cuInit.invokeExact(0), "cuInit");
        } catch (Throwable t) {
            throw NativeBinder.rethrow(t);
        }
    }

    /** The CUDA version the driver supports, e.g. 13000 for 13.0. */
    public int driverVersion() {
        return intOut(cuDriverGetVersion, "cuDriverGetVersion");
    }

    public int deviceCount() {
        return intOut(cuDeviceGetCount, "cuDeviceGetCount");
    }

    public int device(int ordinal) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(INT);
            check((int) cuDeviceGet.invokeExact(out, ordinal), "cuDeviceGet(" + ordinal + ")");
            return out.get(INT, 0);
        } catch (Throwable t) {
            throw NativeBinder.rethrow(t);
        }
    }

    public String deviceName(int device) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(256);
            check((int) cuDeviceGetName.invokeExact(out, 256, device), "cuDeviceGetName");
            return out.getString(0, StandardCharsets.UTF_8);
        } catch (Throwable t) {
            throw NativeBinder.rethrow(t);
        }
    }

    public long totalMemory(int device) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(SIZE_T);
            check((int) cuDeviceTotalMem.invokeExact(out, device), "cuDeviceTotalMem_v2");
            return out.get(SIZE_T, 0);
        } catch (Throwable t) {
            throw NativeBinder.rethrow(t);
        }
    }

    public int attribute(int attribute, int device) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(INT);
            check((int) cuDeviceGetAttribute.invokeExact(out, attribute, device), "cuDeviceGetAttribute(" + attribute + ")");
            return out.get(INT, 0);
        } catch (Throwable t) {
            throw NativeBinder.rethrow(t);
        }
    }

    /** The device's primary context (the one the CUDA runtime, cuBLAS and cuDNN use), retained. */
    public long primaryContextRetain(int device) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(HANDLE);
            check((int) cuDevicePrimaryCtxRetain.invokeExact(out, device), "cuDevicePrimaryCtxRetain");
            return out.get(HANDLE, 0);
        } catch (Throwable t) {
            throw NativeBinder.rethrow(t);
        }
    }

    /** Whether the device's primary context exists: someone (this process) still holds a retain on it. */
    public boolean primaryContextActive(int device) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment flags = arena.allocate(INT), active = arena.allocate(INT);
            check((int) cuDevicePrimaryCtxGetState.invokeExact(device, flags, active), "cuDevicePrimaryCtxGetState");
            return active.get(INT, 0) != 0;
        } catch (Throwable t) {
            throw NativeBinder.rethrow(t);
        }
    }

    public void primaryContextRelease(int device) {
        try {
            check((int) cuDevicePrimaryCtxRelease.invokeExact(device), "cuDevicePrimaryCtxRelease_v2");
        } catch (Throwable t) {
            throw NativeBinder.rethrow(t);
        }
    }

    public void setCurrent(long context) {
        try {
            check((int) cuCtxSetCurrent.invokeExact(context), "cuCtxSetCurrent");
        } catch (Throwable t) {
            throw NativeBinder.rethrow(t);
        }
    }

    /** The calling thread's current context, 0 when none. */
    public long currentContext() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(HANDLE);
            check((int) cuCtxGetCurrent.invokeExact(out), "cuCtxGetCurrent");
            return out.get(HANDLE, 0);
        } catch (Throwable t) {
            throw NativeBinder.rethrow(t);
        }
    }

    /** The device of the calling thread's current context. */
    public int currentDevice() {
        return intOut(cuCtxGetDevice, "cuCtxGetDevice");
    }

    public void contextSynchronize() {
        try {
            check((int) cuCtxSynchronize.invokeExact(), "cuCtxSynchronize");
        } catch (Throwable t) {
            throw NativeBinder.rethrow(t);
        }
    }

    /** Free and total bytes of the current context's device. */
    public record MemoryInfo(long freeBytes, long totalBytes) {}

    public MemoryInfo memoryInfo() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment free = arena.allocate(SIZE_T);
            MemorySegment total = arena.allocate(SIZE_T);
            check((int) cuMemGetInfo.invokeExact(free, total), "cuMemGetInfo_v2");
            return new MemoryInfo(free.get(SIZE_T, 0), total.get(SIZE_T, 0));
        } catch (Throwable t) {
            throw NativeBinder.rethrow(t);
        }
    }

    // ------------------------------------------------------------------ streams and events

    public long streamCreate(int flags) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(HANDLE);
            check((int) cuStreamCreate.invokeExact(out, flags), "cuStreamCreate");
            return out.get(HANDLE, 0);
        } catch (Throwable t) {
            throw NativeBinder.rethrow(t);
        }
    }

    public void streamDestroy(long stream) {
        try {
            check((int) cuStreamDestroy.invokeExact(stream), "cuStreamDestroy_v2");
        } catch (Throwable t) {
            throw NativeBinder.rethrow(t);
        }
    }

    /** Waits for the stream; an error from an earlier asynchronous op (a faulting kernel) surfaces here. */
    public void streamSynchronize(long stream) {
        try {
            check((int) cuStreamSynchronize.invokeExact(stream), "cuStreamSynchronize");
        } catch (Throwable t) {
            throw NativeBinder.rethrow(t);
        }
    }

    public long eventCreate(int flags) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(HANDLE);
            check((int) cuEventCreate.invokeExact(out, flags), "cuEventCreate");
            return out.get(HANDLE, 0);
        } catch (Throwable t) {
            throw NativeBinder.rethrow(t);
        }
    }

    public void eventRecord(long event, long stream) {
        try {
            check((int) cuEventRecord.invokeExact(event, stream), "cuEventRecord");
        } catch (Throwable t) {
            throw NativeBinder.rethrow(t);
        }
    }

    public void eventSynchronize(long event) {
        try {
            check((int) cuEventSynchronize.invokeExact(event), "cuEventSynchronize");
        } catch (Throwable t) {
            throw NativeBinder.rethrow(t);
        }
    }

    /** Milliseconds between two recorded events (both must have completed). */
    public float eventElapsedMillis(long start, long end) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(ValueLayout.JAVA_FLOAT);
            check((int) cuEventElapsedTime.invokeExact(out, start, end), "cuEventElapsedTime");
            return out.get(ValueLayout.JAVA_FLOAT, 0);
        } catch (Throwable t) {
            throw NativeBinder.rethrow(t);
        }
    }

    public void eventDestroy(long event) {
        try {
            check((int) cuEventDestroy.invokeExact(event), "cuEventDestroy_v2");
        } catch (Throwable t) {
            throw NativeBinder.rethrow(t);
        }
    }

    // ------------------------------------------------------------------ memory

    /** cuMemAlloc: device memory, 256-byte aligned, uninitialised. */
    public long memAlloc(long bytes) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(HANDLE);
            check((int) cuMemAlloc.invokeExact(out, bytes), "cuMemAlloc_v2(" + bytes + " bytes)");
            return out.get(HANDLE, 0);
        } catch (Throwable t) {
            throw NativeBinder.rethrow(t);
        }
    }

    public void memFree(long devicePointer) {
        try {
            check((int) cuMemFree.invokeExact(devicePointer), "cuMemFree_v2");
        } catch (Throwable t) {
            throw NativeBinder.rethrow(t);
        }
    }

    /** Host to device on a stream. The host segment must be native memory of at least {@code bytes}. */
    public void memcpyHtoDAsync(long dst, MemorySegment src, long bytes, long stream) {
        try {
            check((int) cuMemcpyHtoDAsync.invokeExact(dst, src, bytes, stream), "cuMemcpyHtoDAsync_v2");
        } catch (Throwable t) {
            throw NativeBinder.rethrow(t);
        }
    }

    /** Device to host on a stream; the host memory is valid after the stream is synchronized. */
    public void memcpyDtoHAsync(MemorySegment dst, long src, long bytes, long stream) {
        try {
            check((int) cuMemcpyDtoHAsync.invokeExact(dst, src, bytes, stream), "cuMemcpyDtoHAsync_v2");
        } catch (Throwable t) {
            throw NativeBinder.rethrow(t);
        }
    }

    public void memcpyDtoDAsync(long dst, long src, long bytes, long stream) {
        try {
            check((int) cuMemcpyDtoDAsync.invokeExact(dst, src, bytes, stream), "cuMemcpyDtoDAsync_v2");
        } catch (Throwable t) {
            throw NativeBinder.rethrow(t);
        }
    }

    /** Sets {@code count} 32-bit words to {@code value} (any bit pattern: a float's bits fill floats). */
    public void memsetD32Async(long dst, int value, long count, long stream) {
        try {
            check((int) cuMemsetD32Async.invokeExact(dst, value, count, stream), "cuMemsetD32Async");
        } catch (Throwable t) {
            throw NativeBinder.rethrow(t);
        }
    }

    // ------------------------------------------------------------------ modules and launches

    /**
     * Loads a PTX module into the current context (the driver JIT-compiles it for the GPU).
     * On failure the exception carries the JIT's error log, which names the PTX line.
     */
    public long moduleLoadPtx(byte[] ptx, String name) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment image = arena.allocate(ptx.length + 1L);
            MemorySegment.copy(ptx, 0, image, ValueLayout.JAVA_BYTE, 0, ptx.length);
            image.set(ValueLayout.JAVA_BYTE, ptx.length, (byte) 0);
            MemorySegment errorLog = arena.allocate(JIT_LOG_BYTES);
            MemorySegment infoLog = arena.allocate(JIT_LOG_BYTES);
            MemorySegment options = arena.allocate(INT, 4);
            MemorySegment values = arena.allocate(PTR, 4);
            int[] keys = {CU_JIT_ERROR_LOG_BUFFER, CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES, CU_JIT_INFO_LOG_BUFFER,
                    CU_JIT_INFO_LOG_BUFFER_SIZE_BYTES};
            for (int i = 0; i < keys.length; i++) options.setAtIndex(INT, i, keys[i]);
            // Option values are void*; the size options carry the integer itself in the pointer slot.
            values.setAtIndex(PTR, 0, errorLog);
            values.setAtIndex(ValueLayout.JAVA_LONG, 1, JIT_LOG_BYTES);
            values.setAtIndex(PTR, 2, infoLog);
            values.setAtIndex(ValueLayout.JAVA_LONG, 3, JIT_LOG_BYTES);
            MemorySegment out = arena.allocate(HANDLE);
            int rc = (int) cuModuleLoadDataEx.invokeExact(out, image, keys.length, options, values);
            if (rc != 0) {
                String log = errorLog.getString(0, StandardCharsets.UTF_8).strip();
                String hint = rc == CUDA_ERROR_UNSUPPORTED_PTX_VERSION
                        ? "; the kernels are PTX ISA 8.0, which needs an NVIDIA driver of CUDA 12.0 or newer (R525+): update the driver" : "";
                throw new CudaException("CUDA driver", "cuModuleLoadDataEx(" + name + ")", rc, errorName(rc),
                        errorString(rc) + hint + (log.isEmpty() ? "" : "; JIT log: " + log));
            }
            return out.get(HANDLE, 0);
        } catch (Throwable t) {
            throw NativeBinder.rethrow(t);
        }
    }

    public long moduleFunction(long module, String name) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(HANDLE);
            check((int) cuModuleGetFunction.invokeExact(out, module, arena.allocateFrom(name)), "cuModuleGetFunction(" + name + ")");
            return out.get(HANDLE, 0);
        } catch (Throwable t) {
            throw NativeBinder.rethrow(t);
        }
    }

    public void moduleUnload(long module) {
        try {
            check((int) cuModuleUnload.invokeExact(module), "cuModuleUnload");
        } catch (Throwable t) {
            throw NativeBinder.rethrow(t);
        }
    }

    /**
     * cuLaunchKernel with a 1-D grid and block. {@code params} is the void*[] of pointers to
     * each argument's value ({@link KernelArgs#pointers()}); the driver copies the values
     * before returning, so the argument block can be reused at once.
     */
    public void launch(long function, String name, int gridX, int blockX, int sharedBytes, long stream, MemorySegment params) {
        try {
            int rc = (int) cuLaunchKernel.invokeExact(function, gridX, 1, 1, blockX, 1, 1, sharedBytes, stream, params, 0L);
            if (rc != 0) check(rc, "cuLaunchKernel(" + name + ", grid " + gridX + ", block " + blockX + ")");
        } catch (Throwable t) {
            throw NativeBinder.rethrow(t);
        }
    }

    private int intOut(MethodHandle fn, String name) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(INT);
            check((int) fn.invokeExact(out), name);
            return out.get(INT, 0);
        } catch (Throwable t) {
            throw NativeBinder.rethrow(t);
        }
    }
}
