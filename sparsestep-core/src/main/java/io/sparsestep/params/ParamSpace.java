package io.sparsestep.params;

import io.sparsestep.backend.Backend;
import io.sparsestep.backend.Buffer;
import io.sparsestep.backend.cpu.CpuBackend;

import java.lang.foreign.MemorySegment;
import java.util.function.Supplier;

/**
 * The trainable tensors of a model on one backend: their {@link ParamLayout}, the
 * parameters and the gradients (same offsets), and the factory of every other buffer laid
 * out like them ({@link #allocateLike}). Optimizers, masks and the analysis tools stand on
 * this, not on the network that made it.
 *
 * <p>A space either owns its two buffers ({@link #allocate}) or stands on memory someone
 * else owns, an embedding framework's parameters and gradients: as raw addresses or
 * segments ({@code wrap(..., long, long)}, {@code wrap(CpuBackend, ..., MemorySegment, MemorySegment)},
 * through {@link Backend#wrap}) or as buffers ({@link #wrap(Backend, ParamLayout, Buffer, Buffer)}).
 * Closing a space over someone else's memory frees none of it; buffers made with
 * {@link #allocateLike} (optimizer state) are always this library's and freed by whoever
 * closes them (the optimizer).
 */
public final class ParamSpace implements AutoCloseable {
    private final Backend backend;
    private final ParamLayout layout;
    private final ParamBuffer values;
    private final ParamBuffer grads;

    private ParamSpace(Backend backend, ParamLayout layout, Buffer values, Buffer grads, boolean closesBuffers) {
        if (backend == null || layout == null) throw new IllegalArgumentException("a parameter space needs a backend and a layout");
        present(values);
        present(grads);
        this.backend = backend;
        this.layout = layout;
        this.values = new ParamBuffer(this, values, closesBuffers);
        this.grads = new ParamBuffer(this, grads, closesBuffers);
    }

    /** Allocates the parameters and gradients (zero-filled) for {@code layout}. */
    public static ParamSpace allocate(Backend backend, ParamLayout layout) {
        return closingBoth(backend, layout, () -> backend.allocate(layout.words(), "params"),
                () -> backend.allocate(layout.words(), "grads"));
    }

    /**
     * A space over a framework's parameter and gradient memory, given as raw addresses
     * ({@link Backend#wrap}: host addresses on the CPU, device pointers on CUDA), each
     * holding {@code layout.words()} floats at the layout's offsets. Only the addresses are
     * checked (non-zero, 4-byte aligned); that the memory is there and that long is the
     * caller's word. Nothing is copied or written; closing the space frees nothing of it.
     */
    public static ParamSpace wrap(Backend backend, ParamLayout layout, long paramsAddress, long gradsAddress) {
        return closingBoth(backend, layout, () -> backend.wrap(paramsAddress, layout.words(), "params"),
                () -> backend.wrap(gradsAddress, layout.words(), "grads"));
    }

    /**
     * A space over a framework's host parameter and gradient segments ({@link CpuBackend#wrap(MemorySegment, String)}:
     * native, writable, 4-byte aligned), each at least {@code layout.words()} floats long
     * (checked). Closing the space frees nothing; closing a segment's arena before the space
     * makes later steps fail rather than read freed memory.
     */
    public static ParamSpace wrap(CpuBackend backend, ParamLayout layout, MemorySegment params, MemorySegment grads) {
        return closingBoth(backend, layout, () -> backend.wrap(params, "params"), () -> backend.wrap(grads, "grads"));
    }

    /** A space over parameter and gradient buffers owned elsewhere (each at least {@code layout.words()} words); closing it leaves them open. */
    public static ParamSpace wrap(Backend backend, ParamLayout layout, Buffer values, Buffer grads) {
        return new ParamSpace(backend, layout, values, grads, false);
    }

    /** A space that closes the two buffers it is made of; neither is left open if the second or the space cannot be made. */
    private static ParamSpace closingBoth(Backend backend, ParamLayout layout, Supplier<Buffer> values, Supplier<Buffer> grads) {
        if (backend == null || layout == null) throw new IllegalArgumentException("a parameter space needs a backend and a layout");
        Buffer v = values.get();
        Buffer g = null;
        try {
            g = grads.get();
            return new ParamSpace(backend, layout, v, g, true);
        } catch (RuntimeException e) {
            // a model that does not fit must not keep memory on a backend others share
            if (g != null) g.close();
            v.close();
            throw e;
        }
    }

    // Not checked against `backend`: a decorating backend (a recorder, a counter) hands out its delegate's
    // buffers, and every op already refuses a view of memory that is not its backend's.
    private static void present(Buffer b) {
        if (b == null) throw new IllegalArgumentException("a parameter space needs its parameter and gradient buffers; one is null");
    }

    public Backend backend() { return backend; }
    public ParamLayout layout() { return layout; }

    /** The parameters. */
    public ParamBuffer values() { return values; }

    /** The gradients, at the parameters' offsets. */
    public ParamBuffer grads() { return grads; }

    /** A new zero-filled buffer laid out like the parameters; the caller closes it. */
    public ParamBuffer allocateLike(String label) {
        return new ParamBuffer(this, backend.allocate(layout.words(), label), true);
    }

    /** Closes the parameter and gradient buffers this space made (freeing allocations; wrappers free nothing). */
    @Override
    public void close() {
        grads.close();
        values.close();
    }
}
