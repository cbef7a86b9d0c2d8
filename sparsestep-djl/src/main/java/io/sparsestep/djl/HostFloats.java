package io.sparsestep.djl;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;

/**
 * A float32 NDArray's elements as host memory for one step. For a contiguous CPU tensor it
 * is DJL's own memory (nothing copied: the step writes the tensor directly). Otherwise (an
 * array on a GPU or another device, or one that is not contiguous) it is a copy in the
 * caller's scratch arena, and {@link #writeBack()} puts the result back with
 * {@code NDArray.set}: two extra host copies and, on a GPU, a download and an upload per step.
 */
final class HostFloats {
    private final NDArray array;
    private final MemorySegment segment;
    private final boolean view;

    private HostFloats(NDArray array, MemorySegment segment, boolean view) {
        this.array = array;
        this.segment = segment;
        this.view = view;
    }

    /** The array's elements: its own memory where {@link #view} finds it, else a copy allocated in {@code scratch}. */
    static HostFloats of(NDArray array, Arena scratch) {
        MemorySegment own = view(array);
        if (own != null) return new HostFloats(array, own, true);
        float[] data = array.toFloatArray();
        MemorySegment copy = scratch.allocate((long) data.length * Float.BYTES, 64);
        MemorySegment.copy(data, 0, copy, ValueLayout.JAVA_FLOAT, 0, data.length);
        return new HostFloats(array, copy, false);
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

    MemorySegment segment() { return segment; }

    /** Whether the step runs on the array's own memory. */
    boolean inPlace() { return view; }

    /** Puts a copy's contents back into the array (nothing to do for the array's own memory). */
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
