package io.sparsestep.backend.cpu;

import io.sparsestep.backend.Backend;
import io.sparsestep.backend.Buffer;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * One off-heap allocation of the CPU backend: a zero-filled, 64-byte aligned native
 * segment owned by its own shared arena, so closing the buffer frees the memory at once
 * (and any later access fails instead of reading freed memory).
 */
public final class CpuBuffer implements Buffer {
    /** Cache-line alignment; also a multiple of every vector width the Vector API uses. */
    static final long ALIGNMENT = 64;

    private final CpuBackend backend;
    private final String label;
    private final long words;
    private final Arena arena;
    private final MemorySegment segment;
    private boolean closed;

    CpuBuffer(CpuBackend backend, long words, String label) {
        this.backend = backend;
        this.label = label;
        this.words = words;
        this.arena = Arena.ofShared();
        // Arena.allocate zero-fills.
        this.segment = arena.allocate(Math.max(1, words) * Float.BYTES, ALIGNMENT).asSlice(0, words * Float.BYTES);
    }

    @Override
    public long words() {
        return words;
    }

    @Override
    public Backend backend() {
        return backend;
    }

    @Override
    public String label() {
        return label;
    }

    @Override
    public long address() {
        return segment.address();
    }

    /** The whole allocation ({@code 4 * words()} bytes, native byte order). */
    public MemorySegment segment() {
        return segment;
    }

    boolean isClosed() {
        return closed;
    }

    @Override
    public void close() {
        synchronized (this) {
            if (closed) return;
            closed = true;
        }
        arena.close();
        backend.released(this);
    }

    @Override
    public String toString() {
        return "CpuBuffer[" + label + ", " + words + " words]";
    }
}
