package io.sparsestep.dl4j;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.cpu.nativecpu.buffer.BaseCpuDataBuffer;
import org.nd4j.linalg.factory.Nd4j;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * A float32 INDArray's elements as host memory for one step. For a one-dimensional array
 * with element stride 1 in ND4J's CPU memory (every view DL4J hands an updater: the block's
 * gradient, the parameters' views, the state view) it is ND4J's own memory, nothing copied:
 * the address is the one the native side reports for the array's first element
 * ({@code DataBuffer.addressPointer()}, which counts the view's offset), {@code length()}
 * floats long. Otherwise (strided, more than one dimension, another backend) it is a copy in
 * the caller's scratch arena, in C order, and {@link #writeBack()} assigns the result back:
 * two extra copies per step. {@code inPlace} says which.
 */
record HostFloats(INDArray array, MemorySegment segment, boolean inPlace) {

    /** The array's elements: its own memory where {@link #view} finds it, else a copy allocated in {@code scratch}. */
    static HostFloats of(INDArray array, Arena scratch) {
        if (array.dataType() != DataType.FLOAT) {
            throw new IllegalArgumentException("sparsestep's steps take float32, this array is " + array.dataType()
                    + "; build the network with .dataType(DataType.FLOAT) (DL4J's default)");
        }
        MemorySegment own = view(array);
        if (own != null) return new HostFloats(array, own, true);
        float[] data = array.dup('c').data().asFloat();
        MemorySegment copy = scratch.allocate((long) data.length * Float.BYTES, 64);
        MemorySegment.copy(data, 0, copy, ValueLayout.JAVA_FLOAT, 0, data.length);
        return new HostFloats(array, copy, false);
    }

    /** The array's own memory as a segment, or null where only a copy is possible (see the class comment). */
    static MemorySegment view(INDArray array) {
        if (array.dataType() != DataType.FLOAT || !(array.data() instanceof BaseCpuDataBuffer)) return null;
        if (array.rank() > 1 || array.length() > array.data().length()) return null;
        if (array.length() > 1 && array.elementWiseStride() != 1) return null;
        if (array.length() == 0) return MemorySegment.NULL;
        long address = array.data().addressPointer().address();
        return MemorySegment.ofAddress(address).reinterpret(array.length() * Float.BYTES);
    }

    /** Puts a copy's contents back into the array (nothing to do for the array's own memory). */
    void writeBack() {
        if (!inPlace) array.assign(Nd4j.create(segment.toArray(ValueLayout.JAVA_FLOAT), array.shape(), 'c'));
    }
}
