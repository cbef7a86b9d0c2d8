package io.sparsestep.backend.cuda;

import org.junit.jupiter.api.Test;

import java.lang.foreign.ValueLayout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The argument block handed to cuLaunchKernel: one 8-byte slot per argument, pointers to the slots, kinds checked. */
class KernelArgsTest {

    @Test
    void valuesLandInConsecutiveSlotsInTheirNativeEncoding() {
        KernelArgs a = KernelArgs.begin().ptr(0x7f00_1234_5670L).u64(1025).f32(-0.5f).i32(-3).ptr(0);

        assertEquals(5, a.count());
        assertEquals(0x7f00_1234_5670L, a.rawSlot(0));
        assertEquals(1025L, a.rawSlot(1));
        // a float or an int fills the low 4 bytes of its slot (little-endian), the rest stays zero
        assertEquals(Integer.toUnsignedLong(Float.floatToRawIntBits(-0.5f)), a.rawSlot(2));
        assertEquals(0xffff_fffdL, a.rawSlot(3));
        assertEquals(0L, a.rawSlot(4));
    }

    @Test
    void pointerArrayPointsAtEachSlot() {
        KernelArgs a = KernelArgs.begin().f32(1f).f32(2f);
        long p0 = a.pointers().getAtIndex(ValueLayout.ADDRESS, 0).address();
        long p1 = a.pointers().getAtIndex(ValueLayout.ADDRESS, 1).address();
        assertEquals(8, p1 - p0);
        assertEquals(0, p0 % 8);
    }

    @Test
    void beginReusesThisThreadsBlockEmptied() {
        KernelArgs first = KernelArgs.begin().u64(1).u64(2);
        KernelArgs second = KernelArgs.begin();
        assertSame(first, second);
        assertEquals(0, second.count());
    }

    @Test
    void checkAcceptsExactlyTheDeclaredParameters() {
        KernelArgs ok = KernelArgs.begin().ptr(8).ptr(16).ptr(24).u64(3).f32(0.1f).f32(0f).ptr(0);
        ok.check(KernelSignature.GRDA_STEP);

        KernelArgs wrong = KernelArgs.begin().ptr(8).ptr(16).ptr(24).i32(3).f32(0.1f).f32(0f).ptr(0);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> wrong.check(KernelSignature.GRDA_STEP));
        assertTrue(e.getMessage().startsWith("kernel grda_step takes [POINTER, POINTER, POINTER, U64, F32, F32, POINTER] but the launch passed"),
                e.getMessage());

        KernelArgs tooFew = KernelArgs.begin().ptr(8).u64(1);
        assertThrows(IllegalStateException.class, () -> tooFew.check(KernelSignature.FILL_F32));
    }

    @Test
    void moreArgumentsThanSlotsFail() {
        KernelArgs a = KernelArgs.begin();
        for (int i = 0; i < KernelArgs.MAX_ARGS; i++) a.i32(i);
        assertThrows(IllegalStateException.class, () -> a.i32(99));
    }
}
