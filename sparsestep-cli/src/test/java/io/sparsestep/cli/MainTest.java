package io.sparsestep.cli;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/** Out-of-memory advice matches the memory that ran out. */
class MainTest {
    @Test
    void nativeAllocationFailureIsNotCalledJavaHeap() {
        // what Arena.allocate throws when malloc fails
        String msg = Main.outOfMemory(new OutOfMemoryError("Unable to allocate 100000000048 bytes"));
        assertTrue(msg.startsWith("out of host memory"), msg);
        assertFalse(msg.contains("-Xmx8g"), "raising the heap does not help native memory: " + msg);
    }

    @Test
    void heapExhaustionSuggestsTheHeapFlag() {
        String msg = Main.outOfMemory(new OutOfMemoryError("Java heap space"));
        assertTrue(msg.startsWith("out of Java heap") && msg.contains("-Xmx"), msg);
    }
}
