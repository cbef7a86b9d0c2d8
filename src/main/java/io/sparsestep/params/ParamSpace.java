package io.sparsestep.params;

import io.sparsestep.backend.Backend;
import io.sparsestep.backend.Buffer;

/**
 * The trainable tensors of a model on one backend: their {@link ParamLayout}, the
 * parameters and the gradients (same offsets), and the factory of every other buffer laid
 * out like them ({@link #allocateLike}). Optimizers, masks and the analysis tools stand on
 * this, not on the network that made it. A space can own its two buffers
 * ({@link #allocate}) or wrap buffers that someone else owns ({@link #wrap}: an embedding
 * framework's memory), in which case closing it frees nothing of theirs.
 */
public final class ParamSpace implements AutoCloseable {
    private final Backend backend;
    private final ParamLayout layout;
    private final ParamBuffer values;
    private final ParamBuffer grads;

    private ParamSpace(Backend backend, ParamLayout layout, Buffer values, Buffer grads, boolean owned) {
        this.backend = backend;
        this.layout = layout;
        this.values = new ParamBuffer(this, values, owned);
        this.grads = new ParamBuffer(this, grads, owned);
    }

    /** Allocates the parameters and gradients (zero-filled) for {@code layout}. */
    public static ParamSpace allocate(Backend backend, ParamLayout layout) {
        Buffer values = backend.allocate(layout.words(), "params");
        try {
            return new ParamSpace(backend, layout, values, backend.allocate(layout.words(), "grads"), true);
        } catch (RuntimeException e) {
            values.close(); // a model that does not fit must not keep memory on a backend others share
            throw e;
        }
    }

    /** A space over parameter and gradient buffers owned elsewhere (each at least {@code layout.words()} words). */
    public static ParamSpace wrap(Backend backend, ParamLayout layout, Buffer values, Buffer grads) {
        return new ParamSpace(backend, layout, values, grads, false);
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

    /** Frees the parameters and gradients if this space allocated them. */
    @Override
    public void close() {
        grads.close();
        values.close();
    }
}
