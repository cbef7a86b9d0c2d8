package io.sparsestep.djl;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.sparsestep.backend.Tensor;
import io.sparsestep.backend.cpu.HostStage;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;

/**
 * One slot of host memory for a float32 NDArray, reused step after step (one per parameter,
 * device and role: its weight, its gradient): {@link #load} points it at this step's array.
 * For a contiguous CPU tensor it is DJL's own memory (nothing copied: the step writes the
 * tensor directly). Otherwise (an array on a GPU or another device, or one that is not
 * contiguous) it is a copy in the slot's own {@link HostStage}, and {@link #writeBack()}
 * puts the result back with {@code NDArray.set}: two extra host copies and, on a GPU, a
 * download and an upload per step.
 *
 * <p>The segment and its backend tensor ({@link #tensor()}) stay the same objects while the
 * memory under them does (the same address and length of DJL's memory, or the same stage),
 * so a steady step makes no wrapper; DJL moving or replacing the tensor's storage gives new ones
 * (counted as {@link CoreOps.Made#moves()}). PyTorch's engine hands over each step's
 * gradient in fresh memory, so a rule that runs a backend op on the gradient (sDprun's
 * weights, GMP's per-tensor step) wraps it anew each step; the others read it as a segment.
 */
final class HostFloats {
    private final CoreOps ops;
    private final String label;
    private final HostStage stage = new HostStage();
    private NDArray array;
    private MemorySegment segment;
    private boolean view;
    private Tensor tensor;

    /** Made by {@link CoreOps#hostSlot}, which counts them. */
    HostFloats(CoreOps ops, String label) {
        this.ops = ops;
        this.label = label;
    }

    /** Points the slot at {@code array}'s elements: its own memory where {@link #view} finds it, else a copy in the slot's stage. */
    HostFloats load(NDArray array) {
        this.array = array;
        MemorySegment own = view(array);
        MemorySegment next = own == null ? stage.put(array.toFloatArray())
                : view && own.address() == segment.address() && own.byteSize() == segment.byteSize() ? segment : own;
        if (next != segment) {
            if (segment != null) ops.moved();
            segment = next;
            tensor = null;
        }
        view = own != null;
        return this;
    }

    /**
     * The array's own data as a segment, or null where DJL can only give a copy. DJL's
     * {@code toByteBuffer(true)} is a direct buffer over the tensor's data only for a
     * contiguous CPU tensor; for any other it is a buffer over a fresh contiguous copy, and
     * writes to it would be lost. The public API says neither which nor the strides, so the
     * buffer is asked for twice: the same address twice is the tensor's own memory, two
     * copies (both alive) cannot share one. The copies are attached to a scope closed here.
     */
    static MemorySegment view(NDArray array) {
        if (!Device.Type.CPU.equals(array.getDevice().getDeviceType())) return null;
        try (NDManager scope = array.getManager().newSubManager()) {
            array.tempAttach(scope);
            ByteBuffer first = array.toByteBuffer(true);
            ByteBuffer second = array.toByteBuffer(true);
            if (!first.isDirect() || !second.isDirect() || first.isReadOnly()) return null;
            MemorySegment a = MemorySegment.ofBuffer(first);
            MemorySegment b = MemorySegment.ofBuffer(second);
            return a.address() == b.address() && a.byteSize() == array.size() * Float.BYTES ? a : null;
        }
    }

    /** The loaded array's elements. */
    MemorySegment segment() { return segment; }

    /** The loaded array's elements as a backend tensor, made once per memory. */
    Tensor tensor() {
        if (tensor == null) tensor = ops.floats(segment, label);
        return tensor;
    }

    /** Whether the step runs on the array's own memory. */
    boolean inPlace() { return view; }

    /** Puts a copy's contents back into the loaded array (nothing to do for the array's own memory). */
    void writeBack() {
        if (!view) array.set(segment.toArray(ValueLayout.JAVA_FLOAT));
    }

    /** Sets every element of {@code array} to +0.0, in place where it is a contiguous CPU tensor. */
    static void zero(NDArray array) {
        MemorySegment own = view(array);
        if (own != null) {
            own.fill((byte) 0);
        } else {
            array.set(new float[Math.toIntExact(array.size())]);
        }
    }
}
