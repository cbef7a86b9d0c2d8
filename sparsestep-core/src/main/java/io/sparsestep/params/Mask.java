package io.sparsestep.params;

import io.sparsestep.backend.Backend;
import io.sparsestep.backend.Buffer;
import io.sparsestep.backend.DType;
import io.sparsestep.backend.Tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * A pruning mask over the prunable range of a {@link ParamSpace} (the {@code weights}
 * group: conv and linear weights), one byte per weight (1 kept, 0 pruned): a quarter of the
 * weights' memory, one allocation. In the style of torch.nn.utils.prune, a method computes
 * the mask and the mask is applied to the weights after each step (and to their gradients
 * before it, where a method wants pruned weights to get no update); the backend's
 * {@link io.sparsestep.backend.MaskOps} do the work in one pass each. A new mask keeps
 * everything.
 */
public final class Mask implements AutoCloseable {
    private final ParamSpace space;
    private final Buffer bytes;
    private final Tensor all;
    private final ParamLayout.Range range;

    private Mask(ParamSpace space, String label) {
        this.space = space;
        this.range = space.layout().group(ParamGroup.WEIGHTS);
        int n = Math.toIntExact(range.length());
        this.bytes = space.backend().allocate(Math.max(1, DType.U8.wordsFor(n)), label);
        this.all = new Tensor(bytes, DType.U8, 0, n);
        try {
            keepAll();
        } catch (RuntimeException e) {
            bytes.close();
            throw e;
        }
    }

    /** A mask that keeps every prunable weight of {@code space}. */
    public static Mask keepingAll(ParamSpace space, String label) { return new Mask(space, label); }

    public ParamSpace space() { return space; }

    /** The whole mask: one u8 per weight of the prunable group, in the group's order. */
    public Tensor all() { return all; }

    /** The mask of one prunable tensor. */
    public Tensor of(String name) {
        ParamEntry e = space.layout().require(name);
        if (e.group() != ParamGroup.WEIGHTS) throw new IllegalArgumentException(name + " is not prunable (group " + e.group().id() + ")");
        return all.range(e.offset() - range.offset(), Math.toIntExact(e.size()));
    }

    /** Keeps every weight. */
    public void keepAll() {
        int n = Math.toIntExact(range.length());
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment ones = arena.allocate(Math.max(1, n));
            ones.fill((byte) 1);
            space.backend().upload(ones, all);
        }
    }

    /** Keeps the weights of {@code values} whose magnitude exceeds {@code threshold} (ties pruned, NaN kept). */
    public void keepAbove(ParamBuffer values, float threshold) {
        space.backend().masks().fromMagnitude(prunable(values), threshold, all);
    }

    /** Zeroes the pruned entries of {@code buffer}'s prunable range (the weights, or their gradients), in place. */
    public void applyTo(ParamBuffer buffer) {
        space.backend().masks().apply(all, prunable(buffer));
    }

    /** Weights the mask keeps (waits for the backend). */
    public long kept() { return space.backend().masks().countKept(all); }

    /** Weights under the mask (the prunable count). */
    public long size() { return range.length(); }

    /** The mask's bytes on the host, in the group's order (for checkpoints and tests). */
    public byte[] toHost() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment host = arena.allocate(Math.max(1, all.byteSize()));
            space.backend().download(all, host);
            return host.asSlice(0, all.byteSize()).toArray(ValueLayout.JAVA_BYTE);
        }
    }

    /** Sets the mask from host bytes (any non-zero keeps). */
    public void fromHost(byte[] mask) {
        if (mask.length != range.length()) throw new IllegalArgumentException("a mask of " + mask.length + " bytes for " + range.length() + " weights");
        space.backend().upload(MemorySegment.ofArray(mask), all);
    }

    private Tensor prunable(ParamBuffer buffer) {
        if (!buffer.layout().sameAs(space.layout())) throw new IllegalArgumentException(buffer.label() + " is laid out differently from the mask's space");
        return buffer.group(ParamGroup.WEIGHTS);
    }

    @Override
    public void close() { bytes.close(); }

    /** Backend of the mask (the space's). */
    public Backend backend() { return space.backend(); }
}
