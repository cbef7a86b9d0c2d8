package io.sparsestep.backend.cpu;

import io.sparsestep.backend.Buffer;
import io.sparsestep.backend.Tensor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link CpuBackend#wrap}: a buffer over host memory the caller owns, used in place, never freed or counted. */
class CpuWrapTest {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT;
    private static CpuBackend be;

    @BeforeAll
    static void open() { be = new CpuBackend(2); }

    @AfterAll
    static void close() { be.close(); }

    @Test
    void aWrappedAddressIsTheCallersMemoryUsedInPlaceAndNeverFreedOrCounted() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment mine = arena.allocate(4 * 40, 64);
            for (int i = 0; i < 40; i++) mine.setAtIndex(F, i, i);
            long allocations = be.allocationCount(), bytes = be.bytesInUse(), peak = be.peakBytes();
            Buffer b = be.wrap(mine.address(), 40, "framework.params");
            assertEquals(mine.address(), b.address());
            assertEquals(40, b.words());
            assertEquals("framework.params", b.label());
            assertEquals(allocations, be.allocationCount());
            assertEquals(bytes, be.bytesInUse());
            assertEquals(peak, be.peakBytes());
            assertEquals(20f, mine.getAtIndex(F, 20), "wrapping writes nothing (no zero fill)");
            be.elementwise().fill(new Tensor(b, 8, 16), -1f);
            assertEquals(-1f, mine.getAtIndex(F, 8));
            assertEquals(-1f, mine.getAtIndex(F, 23));
            assertEquals(24f, mine.getAtIndex(F, 24));
            b.close();
            b.close();
            assertEquals(bytes, be.bytesInUse());
            assertEquals(-1f, mine.getAtIndex(F, 23), "closing the wrapper leaves the memory readable and intact");
            IllegalArgumentException closed = assertThrows(IllegalArgumentException.class, () -> be.elementwise().fill(new Tensor(b, 0, 4), 0f));
            assertTrue(closed.getMessage().contains("belongs to a closed buffer"), closed.getMessage());
        }
    }

    /** A confined segment works although the backend's workers reach it from other threads (a view larger than one chunk). */
    @Test
    void aConfinedSegmentIsReachedByTheWorkers() {
        int n = FusedStepPaths.chunkedSize();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment mine = arena.allocate(4L * n, 64);
            Buffer b = be.wrap(mine, "big");
            be.elementwise().fill(new Tensor(b, 0, n), 2f);
            for (int i = 0; i < n; i++) assertEquals(2f, mine.getAtIndex(F, i), "element " + i);
            b.close();
        }
    }

    @Test
    void closingTheBackendLeavesWrappedMemoryAlone() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment mine = arena.allocate(64, 64);
            CpuBackend other = new CpuBackend(1);
            Buffer b = other.wrap(mine, "x");
            other.elementwise().fill(new Tensor(b, 0, 16), 5f);
            other.close();
            b.close();
            assertEquals(5f, mine.getAtIndex(F, 15));
            IllegalStateException refused = assertThrows(IllegalStateException.class, () -> other.wrap(mine, "later"));
            assertEquals("CPU backend is closed; create a new one to wrap 'later'", refused.getMessage());
        }
    }

    /** An arena closed under an open wrapper: the next op refuses the view instead of touching freed memory. */
    @Test
    void aSegmentWhoseArenaClosedIsRefused() {
        Arena arena = Arena.ofConfined();
        Buffer b = be.wrap(arena.allocate(64, 64), "gone");
        arena.close();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> be.elementwise().fill(new Tensor(b, 0, 16), 1f));
        assertTrue(e.getMessage().contains("wraps a segment whose arena was closed"), e.getMessage());
    }

    @Test
    void badAddressesAndSizesAreOneLineNamingTheArgument() {
        try (Arena arena = Arena.ofConfined()) {
            long a = arena.allocate(64, 64).address();
            refused(() -> be.wrap(0, 4, "p"), "wrap 'p': address is 0 (a null pointer); pass the address of memory you allocated");
            refused(() -> be.wrap(a + 2, 4, "p"), "wrap 'p': address 0x" + Long.toHexString(a + 2)
                    + " is not 4-byte aligned; float32 memory must start on a 4-byte boundary");
            refused(() -> be.wrap(a, -1, "p"), "wrap 'p': words must be >= 0, got -1");
            refused(() -> be.wrap(a, Long.MAX_VALUE / 2, "p"), "wrap 'p': words " + Long.MAX_VALUE / 2 + " from address 0x"
                    + Long.toHexString(a) + " run past the end of the address space; pass the buffer's size in floats, not bytes");
            MemorySegment s = arena.allocate(64, 64);
            refused(() -> be.wrap((MemorySegment) null, "s"), "wrap 's': segment is null");
            refused(() -> be.wrap(MemorySegment.NULL, "s"), "wrap 's': address is 0 (a null pointer); pass the address of memory you allocated");
            refused(() -> be.wrap(MemorySegment.ofArray(new float[4]), "s"), "wrap 's': segment is on the Java heap; wrap native memory (Arena.allocate)");
            refused(() -> be.wrap(s.asReadOnly(), "s"), "wrap 's': segment is read-only; the ops write their outputs, wrap a writable segment");
            refused(() -> be.wrap(s.asSlice(0, 6), "s"), "wrap 's': segment is 6 bytes, not a whole number of floats; slice it to a multiple of 4 bytes");
            refused(() -> be.wrap(s.asSlice(2, 8), "s"), "wrap 's': address 0x" + Long.toHexString(s.address() + 2)
                    + " is not 4-byte aligned; float32 memory must start on a 4-byte boundary");
            assertEquals(0, be.wrap(a, 0, "empty").words(), "an empty range is a valid buffer");
        }
    }

    private static void refused(Executable call, String message) {
        assertEquals(message, assertThrows(IllegalArgumentException.class, call).getMessage());
    }
}
