package io.sparsestep.djl;

import io.sparsestep.backend.Backend;
import io.sparsestep.backend.DType;
import io.sparsestep.backend.Tensor;
import io.sparsestep.backend.cpu.CpuBackend;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * The core's CPU backend ops ({@code StepOps}, {@code GroupOps}, {@code SelectOps},
 * {@code MaskOps}) on host memory the adapter holds: DJL's tensors and the optimizer's own
 * state, wrapped as backend tensors with {@link CpuBackend#wrap} (nothing copied, nothing
 * allocated on the backend). One backend per optimizer, on the calling thread only (one
 * worker: the ops are bitwise the same for any worker count, and DJL's engine has threads of
 * its own); the optimizer's {@code update} is synchronized, as a backend must be driven by one
 * thread at a time.
 *
 * <p>Every tensor wrapper, host-memory slot ({@link HostFloats}) and arena of the
 * optimizer's own memory is made here and counted ({@link #made()}): the wrappers are kept
 * per parameter ({@link StepViews}) and remade only when the memory under them changes, so
 * a steady step makes none on memory that stays put, which the tests check through these counts.
 */
final class CoreOps {
    /**
     * What this optimizer has made so far: arenas, backend tensor wrappers, host-memory slots;
     * and how often a slot found its array's memory moved (its wrapper then made anew).
     */
    record Made(long arenas, long wraps, long hostSlots, long moves) {}

    private final CpuBackend backend = new CpuBackend(1);
    private long arenas, wraps, hostSlots, moves;

    Backend backend() { return backend; }

    /** The floats of {@code segment} (its whole length) as an f32 tensor. */
    Tensor floats(MemorySegment segment, String label) {
        wraps++;
        return new Tensor(backend.wrap(segment, label), 0, Math.toIntExact(segment.byteSize() / Float.BYTES));
    }

    /** The first {@code n} bytes of {@code segment} (a whole number of floats long, at least n bytes) as a u8 mask tensor. */
    Tensor bytes(MemorySegment segment, long n, String label) {
        wraps++;
        return new Tensor(backend.wrap(segment, label), DType.U8, 0, Math.toIntExact(n));
    }

    /** An automatic arena for memory of the optimizer's own (freed with what holds it). */
    Arena arena() {
        arenas++;
        return Arena.ofAuto();
    }

    /** A new slot for one array's host memory, named {@code label} in the backend's messages. */
    HostFloats hostSlot(String label) {
        hostSlots++;
        return new HostFloats(this, label);
    }

    /** Counts a slot whose array's memory moved since the last step. */
    void moved() { moves++; }

    Made made() { return new Made(arenas, wraps, hostSlots, moves); }
}
