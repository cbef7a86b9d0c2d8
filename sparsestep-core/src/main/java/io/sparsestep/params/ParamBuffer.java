package io.sparsestep.params;

import io.sparsestep.backend.Backend;
import io.sparsestep.backend.Buffer;
import io.sparsestep.backend.Tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * A buffer laid out like the parameters ({@link ParamLayout}): the parameters themselves,
 * their gradients, an optimizer state, a rewind snapshot, an endpoint of a loss line, a
 * Hessian direction. It hands out views of the whole range, of one group, or of one named
 * tensor; host copies in and out are for setup, checkpoints and tests, never per step.
 */
public final class ParamBuffer implements AutoCloseable {
    private final ParamSpace space;
    private final Buffer buffer;
    private final boolean owned; // this object made the buffer, so closes it (a wrapper of foreign memory frees nothing)

    ParamBuffer(ParamSpace space, Buffer buffer, boolean owned) {
        if (buffer.words() < space.layout().words()) {
            throw new IllegalArgumentException("buffer '" + buffer.label() + "' has " + buffer.words() + " words; the layout needs "
                    + space.layout().words());
        }
        this.space = space;
        this.buffer = buffer;
        this.owned = owned;
    }

    public ParamSpace space() { return space; }
    public ParamLayout layout() { return space.layout(); }
    public Buffer buffer() { return buffer; }
    public String label() { return buffer.label(); }
    public Backend backend() { return buffer.backend(); }

    /** The whole parameter range (padding between groups included). */
    public Tensor all() { return new Tensor(buffer, 0, Math.toIntExact(layout().words())); }

    /** One group's contiguous range. */
    public Tensor group(ParamGroup g) {
        ParamLayout.Range r = layout().group(g);
        return new Tensor(buffer, r.offset(), Math.toIntExact(r.length()));
    }

    /** One named tensor, in its shape. */
    public Tensor of(String name) { return of(layout().require(name)); }

    public Tensor of(ParamEntry e) { return new Tensor(buffer, e.offset(), e.shape()); }

    /** this = other (same layout). */
    public void copyFrom(ParamBuffer other) {
        if (!other.layout().sameAs(layout())) throw new IllegalArgumentException(other.label() + " is laid out differently from " + label());
        backend().copy(other.all(), all());
    }

    /** The whole range on the host (waits for the backend). */
    public float[] toHost() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment host = arena.allocate(4 * layout().words(), 64);
            backend().download(all(), host);
            return host.toArray(ValueLayout.JAVA_FLOAT);
        }
    }

    /** Sets the whole range from host floats ({@code layout().words()} of them). */
    public void fromHost(float[] values) {
        if (values.length != layout().words()) {
            throw new IllegalArgumentException(label() + ": " + values.length + " host floats for a layout of " + layout().words());
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment host = arena.allocate(4L * values.length, 64);
            MemorySegment.copy(values, 0, host, ValueLayout.JAVA_FLOAT, 0, values.length);
            backend().upload(host, all());
        }
    }

    /**
     * Closes the buffer if this object made it: an allocation is freed, a wrapper of memory
     * someone else owns ({@code Backend.wrap}) frees nothing. A buffer handed in open is left open.
     */
    @Override
    public void close() {
        if (owned) buffer.close();
    }
}
