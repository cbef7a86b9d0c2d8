package io.sparsestep.djl;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * One parameter's optimizer state on one device: how many steps it has taken, gRDA's (and
 * sDprun's) threshold (accumulated in double, as sparsestep's own gRDA does), the rule's
 * float buffers (gRDA's accumulator, SGD's momentum) and, for a masked rule (GMP), its
 * pruning mask (one byte per element, 1 kept, 0 pruned; a new mask keeps everything), all
 * in native memory, 64-byte aligned. The memory lives in the automatic arena it is given, so a
 * state dropped by {@code loadState} is freed by the garbage collector with it. Its
 * {@link StepViews} (the wrappers its steps reuse) are made at its first step.
 */
final class StepState {
    private final long size;
    private final MemorySegment[] buffers;
    private final MemorySegment mask;
    private StepViews views;
    long steps;
    double tau;

    /** A state in {@code arena}, an automatic one (the optimizer's {@link CoreOps#arena()}, a loaded state's own). */
    StepState(long size, int bufferCount, boolean masked, Arena arena) {
        this.size = size;
        this.buffers = new MemorySegment[bufferCount];
        for (int i = 0; i < bufferCount; i++) buffers[i] = arena.allocate(size * Float.BYTES, 64);
        // whole floats long, so the core backend can wrap it as a u8 tensor
        this.mask = masked ? arena.allocate(Math.max(Float.BYTES, (size + 3) / 4 * 4), 64).fill((byte) 1) : null;
    }

    /** The wrappers this state's steps reuse, made on the first call (named {@code name}, on the optimizer's {@code ops}). */
    StepViews views(CoreOps ops, String name) {
        if (views == null || !views.of(ops)) views = new StepViews(this, ops, name);
        return views;
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
