package io.sparsestep.backend.cuda;

import io.sparsestep.backend.Backend;
import io.sparsestep.backend.Buffer;

/**
 * One device buffer of a {@link CudaBackend}: an allocation (cuMemAlloc, 256-byte aligned)
 * or a wrap of device memory someone else owns ({@link CudaBackend#wrap}, as aligned as the
 * pointer handed in). {@link #address()} is the CUdeviceptr, which an embedding framework
 * can pass to its own kernels or to {@link CudaFusedSteps}. Closing it waits only for the
 * backend's own stream ({@link CudaBackend#stream()}), then frees an allocation and
 * leaves wrapped memory alone: work a framework queued on another stream that touches
 * this memory must be finished (or that stream synchronised) before the buffer is closed.
 */
public final class CudaBuffer implements Buffer {
    private final CudaBackend backend;
    private final long address;
    private final long words;
    private final String label;
    private final boolean owned; // false: wrapped memory, its owner frees it
    private volatile boolean closed;

    CudaBuffer(CudaBackend backend, long address, long words, String label, boolean owned) {
        this.backend = backend;
        this.address = address;
        this.words = words;
        this.label = label;
        this.owned = owned;
    }

    @Override
    public long words() { return words; }

    @Override
    public Backend backend() { return backend; }

    @Override
    public String label() { return label; }

    @Override
    public long address() {
        requireOpen();
        return address;
    }

    long rawAddress() { return address; }

    boolean isClosed() { return closed; }

    void requireOpen() {
        if (closed) throw new IllegalStateException("CUDA buffer '" + label + "' was closed; views into it are no longer valid");
    }

    /** Marks the buffer closed; true only for the first call (the one that frees it). */
    boolean markClosed() {
        synchronized (this) {
            if (closed) return false;
            closed = true;
            return true;
        }
    }

    @Override
    public void close() {
        if (owned) backend.free(this);
        else backend.unwrap(this);
    }

    @Override
    public String toString() {
        return "CudaBuffer[" + label + ", " + words + " words @0x" + Long.toHexString(address) + (owned ? "" : ", wrapped") + "]";
    }
}
