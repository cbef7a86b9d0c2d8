package io.sparsestep.backend;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Philox4x32-10 against Random123's known-answer vectors (kat_vectors, philox4x32 10 rounds). */
class PhiloxTest {
    @Test
    void matchesRandom123KnownAnswers() {
        assertArrayEquals(new int[]{0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8}, Philox.block(0, 0, 0, 0, 0, 0));
        assertArrayEquals(new int[]{0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd}, Philox.block(-1, -1, -1, -1, -1, -1));
        assertArrayEquals(new int[]{0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1},
                Philox.block(0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344, 0xa4093822, 0x299f31d0));
    }

    @Test
    void wordIsTheBlocksFirstWordForSparsestepsCounterLayout() {
        long seed = 0x1234_5678_9abc_def0L, index = 0x0000_0003_8000_0001L;
        int[] b = Philox.block((int) index, (int) (index >>> 32), 7, 1, (int) seed, (int) (seed >>> 32));
        assertEquals(b[0], Philox.word(seed, index, 7, 1));
    }

    @Test
    void uniformsAreInTheUnitIntervalWithTheRightMean() {
        double sum = 0;
        int n = 200_000;
        for (int i = 0; i < n; i++) {
            float u = Philox.uniform(42, i, 3, 0);
            assertTrue(u >= 0f && u < 1f, "u = " + u);
            sum += u;
        }
        // mean of U[0,1) has sd 1/sqrt(12 n) = 0.00065; 5 sd
        assertEquals(0.5, sum / n, 0.0033);
    }
}
