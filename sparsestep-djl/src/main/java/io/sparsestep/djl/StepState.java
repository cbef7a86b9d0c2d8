package io.sparsestep.djl;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * One parameter's optimizer state on one device: how many steps it has taken, gRDA's
 * threshold (accumulated in double, as sparsestep's own gRDA does) and the rule's float
 * buffers (gRDA's accumulator, SGD's momentum) in native memory, 64-byte aligned. The
 * buffers live in their own automatic arena, so a state dropped by {@code loadState} is
 * freed by the garbage collector with it.
 */
final class StepState {
    private final long size;
    private final MemorySegment[] buffers;
    long steps;
    double tau;

    StepState(long size, int bufferCount) {
        this.size = size;
        Arena arena = Arena.ofAuto();
        this.buffers = new MemorySegment[bufferCount];
        for (int i = 0; i < bufferCount; i++) buffers[i] = arena.allocate(size * Float.BYTES, 64);
    }

    /** Floats per buffer: the parameter's element count. */
    long size() { return size; }

    int bufferCount() { return buffers.length; }

    MemorySegment buffer(int i) { return buffers[i]; }
}
