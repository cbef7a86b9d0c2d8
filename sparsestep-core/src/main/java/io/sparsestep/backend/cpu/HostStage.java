package io.sparsestep.backend.cpu;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * A reusable native float buffer for a framework adapter's host copies (a tensor the step
 * cannot run on in place: on a GPU, strided, of another backend): the copy of one parameter
 * goes here at every step, so a steady run allocates it once. The buffer is exactly as long
 * as the last copy, 64-byte aligned, in an automatic arena (freed with this object), and is
 * replaced only when a copy of another length comes; {@link #allocations()} counts how often
 * that happened, for the adapters' tests that steady steps allocate nothing.
 */
public final class HostStage {
    private MemorySegment buffer;
    private long allocations;

    /** Copies {@code values} in and returns the buffer holding them (the same segment as last time when the length is). */
    public MemorySegment put(float[] values) {
        MemorySegment out = room(values.length);
        MemorySegment.copy(values, 0, out, ValueLayout.JAVA_FLOAT, 0, values.length);
        return out;
    }

    /** The buffer for {@code floats} floats, contents unspecified (the same segment as last time when the length is). */
    public MemorySegment room(long floats) {
        if (buffer == null || buffer.byteSize() != floats * Float.BYTES) {
            buffer = Arena.ofAuto().allocate(Math.max(1, floats) * Float.BYTES, 64).asSlice(0, floats * Float.BYTES);
            allocations++;
        }
        return buffer;
    }

    /** Buffers allocated so far (1 for a stage that only ever copied one length). */
    public long allocations() { return allocations; }
}
