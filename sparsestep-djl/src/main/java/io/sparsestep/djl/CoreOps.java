package io.sparsestep.djl;

import io.sparsestep.backend.Backend;
import io.sparsestep.backend.DType;
import io.sparsestep.backend.Tensor;
import io.sparsestep.backend.cpu.CpuBackend;

import java.lang.foreign.MemorySegment;

/**
 * The core's CPU backend ops ({@code StepOps}, {@code GroupOps}, {@code SelectOps},
 * {@code MaskOps}) on host memory the adapter holds: DJL's tensors and the optimizer's own
 * state, wrapped as backend tensors with {@link CpuBackend#wrap} (nothing copied, nothing
 * allocated on the backend). One backend per optimizer, on the calling thread only (one
 * worker: the ops are bitwise the same for any worker count, and DJL's engine has threads of
 * its own); the optimizer's {@code update} is synchronized, as a backend must be driven by one
 * thread at a time.
 */
final class CoreOps {
    private final CpuBackend backend = new CpuBackend(1);

    Backend backend() { return backend; }

    /** The floats of {@code segment} (its whole length) as an f32 tensor. */
    Tensor floats(MemorySegment segment, String label) {
        return new Tensor(backend.wrap(segment, label), 0, Math.toIntExact(segment.byteSize() / Float.BYTES));
    }

    /** The first {@code n} bytes of {@code segment} (a whole number of floats long, at least n bytes) as a u8 mask tensor. */
    Tensor bytes(MemorySegment segment, long n, String label) {
        return new Tensor(backend.wrap(segment, label), DType.U8, 0, Math.toIntExact(n));
    }
}
