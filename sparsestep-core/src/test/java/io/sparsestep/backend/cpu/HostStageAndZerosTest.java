package io.sparsestep.backend.cpu;

import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The adapters' shared host helpers: a {@link HostStage} holds each copy in one buffer that
 * it replaces only when the length changes (a steady run allocates once), and
 * {@link ExactZeros} counts +0.0 and -0.0 (not NaN, not subnormals) and sums counts.
 */
class HostStageAndZerosTest {
    @Test
    void aStageReusesItsBufferWhileTheLengthStays() {
        HostStage stage = new HostStage();
        MemorySegment first = stage.put(new float[] {1, 2, 3});
        MemorySegment second = stage.put(new float[] {4, 5, 6});
        assertSame(first, second, "the same length: the same buffer");
        assertArrayEquals(new float[] {4, 5, 6}, second.toArray(ValueLayout.JAVA_FLOAT));
        assertEquals(1, stage.allocations());
        MemorySegment longer = stage.put(new float[] {7, 8, 9, 10, 11});
        assertNotSame(first, longer);
        assertEquals(5 * Float.BYTES, longer.byteSize());
        assertEquals(0, longer.address() % 64, "64-byte aligned, as the vector kernels like it");
        assertEquals(2, stage.allocations());
        assertTrue(longer.isNative());
    }

    @Test
    void exactZerosCountBothSignsAndNothingElse() {
        ExactZeros z = ExactZeros.of(new float[] {0f, -0f, Float.MIN_VALUE, Float.NaN, 1f, 0f});
        assertEquals(new ExactZeros(3, 6), z);
        assertEquals(0.5, z.share());
        assertEquals(new ExactZeros(4, 10), z.plus(ExactZeros.of(new float[] {2f, 0f, 3f, 4f})));
        assertEquals(z, ExactZeros.NONE.plus(z));
        assertThrows(IllegalArgumentException.class, () -> new ExactZeros(3, 2));
    }
}
