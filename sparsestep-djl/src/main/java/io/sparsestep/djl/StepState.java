package io.sparsestep.djl;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * One parameter's optimizer state on one device: how many steps it has taken, gRDA's (and
 * sDprun's) threshold (accumulated in double, as sparsestep's own gRDA does), the rule's
 * float buffers (gRDA's accumulator, SGD's momentum) and, for a masked rule (GMP), its
 * pruning mask (one byte per element, 1 kept, 0 pruned; a new mask keeps everything), all
 * in native memory, 64-byte aligned. The memory lives in its own automatic arena, so a state
 * dropped by {@code loadState} is freed by the garbage collector with it.
 */
final class StepState {
    private final long size;
    private final MemorySegment[] buffers;
    private final MemorySegment mask;
    long steps;
    double tau;

    StepState(long size, int bufferCount, boolean masked) {
        this.size = size;
        Arena arena = Arena.ofAuto();
        this.buffers = new MemorySegment[bufferCount];
        for (int i = 0; i < bufferCount; i++) buffers[i] = arena.allocate(size * Float.BYTES, 64);
        // whole floats long, so the core backend can wrap it as a u8 tensor
        this.mask = masked ? arena.allocate(Math.max(Float.BYTES, (size + 3) / 4 * 4), 64).fill((byte) 1) : null;
    }

    /** Floats per buffer: the parameter's element count. */
    long size() { return size; }

    int bufferCount() { return buffers.length; }

    MemorySegment buffer(int i) { return buffers[i]; }

    /** Whether the state holds a pruning mask. */
    boolean masked() { return mask != null; }

    /** The pruning mask, {@link #size()} bytes used (more allocated), or null for a state without one. */
    MemorySegment mask() { return mask; }
}
