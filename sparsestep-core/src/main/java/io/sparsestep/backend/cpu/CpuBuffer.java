package io.sparsestep.backend.cpu;

import io.sparsestep.backend.Backend;
import io.sparsestep.backend.Buffer;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * One off-heap buffer of the CPU backend. Either an allocation: a zero-filled, 64-byte
 * aligned native segment owned by its own shared arena, so closing the buffer frees the
 * memory at once (and any later access fails instead of reading freed memory). Or a wrap
 * of memory the caller owns ({@link CpuBackend#wrap}): closing it frees nothing, only
 * refuses later use.
 */
public final class CpuBuffer implements Buffer {
    /** Cache-line alignment; also a multiple of every vector width the Vector API uses. */
    static final long ALIGNMENT = 64;

    private final CpuBackend backend;
    private final String label;
    private final long words;
    private final Arena arena; // null for wrapped memory: nothing of ours to free
    private final MemorySegment segment;
    // The scope of a wrapped segment, so use after its arena closed fails; null when unknown (a raw address).
    private final MemorySegment.Scope ownerScope;
    private boolean closed;

    CpuBuffer(CpuBackend backend, long words, String label) {
        this.backend = backend;
        this.label = label;
        this.words = words;
        this.arena = Arena.ofShared();
        // Arena.allocate zero-fills.
        this.segment = arena.allocate(Math.max(1, words) * Float.BYTES, ALIGNMENT).asSlice(0, words * Float.BYTES);
        this.ownerScope = null;
    }

    /**
     * A buffer over memory someone else owns. {@code global} is that memory in the global
     * scope (the pool's workers must reach it whichever thread owns the caller's arena);
     * {@code ownerScope}, when known, is the scope it really lives in.
     */
    CpuBuffer(CpuBackend backend, MemorySegment global, MemorySegment.Scope ownerScope, String label) {
        this.backend = backend;
        this.label = label;
        this.words = global.byteSize() / Float.BYTES;
        this.arena = null;
        this.segment = global;
        this.ownerScope = ownerScope;
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

    /** Whether this wraps a segment whose arena has since been closed (its memory is gone). */
    boolean ownerFreed() {
        return ownerScope != null && !ownerScope.isAlive();
    }

    @Override
    public void close() {
        synchronized (this) {
            if (closed) return;
            closed = true;
        }
        if (arena == null) return; // wrapped: the owner frees it
        arena.close();
        backend.released(this);
    }

    @Override
    public String toString() {
        return "CpuBuffer[" + label + ", " + words + " words" + (arena == null ? ", wrapped" : "") + "]";
    }
}
