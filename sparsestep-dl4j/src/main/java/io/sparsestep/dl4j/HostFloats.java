package io.sparsestep.dl4j;

import io.sparsestep.backend.cpu.HostStage;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.cpu.nativecpu.buffer.BaseCpuDataBuffer;
import org.nd4j.linalg.factory.Nd4j;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * One slot of host memory for a float32 INDArray, reused step after step (one per array an
 * updater touches: its state view, the block's gradient, each variable's parameter view):
 * {@link #load} points it at this step's array. For a one-dimensional array with element
 * stride 1 in ND4J's CPU memory (every view DL4J hands an updater: the block's gradient, the
 * parameters' views, the state view) it is ND4J's own memory, nothing copied: the address is
 * the one the native side reports for the array's first element
 * ({@code DataBuffer.addressPointer()}, which counts the view's offset), {@code length()}
 * floats long. Otherwise (strided, more than one dimension, another backend) it is a copy in
 * the slot's own {@link HostStage}, in C order, and {@link #writeBack()} assigns the result
 * back: two extra copies per step. {@code inPlace} says which.
 *
 * <p>The segment stays the same object while the memory under it does (the same address and
 * length, or the same stage), so a steady step makes none; {@link #moves()} counts how often
 * the memory moved and a new one was made.
 */
final class HostFloats {
    private final HostStage stage = new HostStage();
    private INDArray array;
    private MemorySegment segment;
    private boolean inPlace;
    private long moves;

    /** Points the slot at {@code array}'s elements: its own memory where {@link #view} finds it, else a copy in the slot's stage. */
    HostFloats load(INDArray array) {
        if (array.dataType() != DataType.FLOAT) {
            throw new IllegalArgumentException("sparsestep's steps take float32, this array is " + array.dataType()
                    + "; build the network with .dataType(DataType.FLOAT) (DL4J's default)");
        }
        this.array = array;
        long address = address(array);
        MemorySegment next;
        if (address == NO_VIEW) {
            next = stage.put(array.dup('c').data().asFloat());
        } else {
            boolean same = inPlace && segment.address() == address && segment.byteSize() == array.length() * Float.BYTES;
            next = same ? segment : segmentAt(address, array.length());
        }
        if (next != segment) {
            if (segment != null) moves++;
            segment = next;
        }
        inPlace = address != NO_VIEW;
        return this;
    }

    /** The loaded array's elements. */
    MemorySegment segment() { return segment; }

    /** Whether the step runs on the loaded array's own memory. */
    boolean inPlace() { return inPlace; }

    /** How often the memory under the slot moved (a new segment made) since it was first loaded. */
    long moves() { return moves; }

    /** Puts a copy's contents back into the loaded array (nothing to do for the array's own memory). */
    void writeBack() {
        if (!inPlace) array.assign(Nd4j.create(segment.toArray(ValueLayout.JAVA_FLOAT), array.shape(), 'c'));
    }

    /** The array's own memory as a segment, or null where only a copy is possible (see the class comment). */
    static MemorySegment view(INDArray array) {
        long address = address(array);
        return address == NO_VIEW ? null : segmentAt(address, array.length());
    }

    /** {@link #address} of an array only a copy can reach. */
    private static final long NO_VIEW = -1;

    /** The address of the array's first element in ND4J's memory (0 for an empty array), or {@link #NO_VIEW}. */
    private static long address(INDArray array) {
        if (array.dataType() != DataType.FLOAT || !(array.data() instanceof BaseCpuDataBuffer)) return NO_VIEW;
        if (array.rank() > 1 || array.length() > array.data().length()) return NO_VIEW;
        if (array.length() > 1 && array.elementWiseStride() != 1) return NO_VIEW;
        if (array.length() == 0) return 0;
        return array.data().addressPointer().address();
    }

    private static MemorySegment segmentAt(long address, long floats) {
        return floats == 0 ? MemorySegment.NULL : MemorySegment.ofAddress(address).reinterpret(floats * Float.BYTES);
    }
}
