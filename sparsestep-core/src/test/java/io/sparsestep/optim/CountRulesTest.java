package io.sparsestep.optim;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The counts GSM and GMP derive from a share, each one formula that the core's optimizers and
 * the DJL adapter both call: GSM's {@code Q = floor(ratio * N)} and final-prune
 * {@code k0 = floor(N * (1 - ratio))}, GMP's kept {@code max(round_half_even(n * (1 - s)), 1)}.
 * The goldens are worked by hand, at the edges where the rounding rule decides.
 */
class CountRulesTest {
    @Test
    void gsmsQIsTheFlooredProduct() {
        assertEquals(13_310, Gsm.selectedCount(0.05, 266_200));
        assertEquals(0, Gsm.selectedCount(0.005, 192), "0.96 floors to 0");
        assertEquals(1, Gsm.selectedCount(0.006, 192), "1.152 floors to 1");
        // 0.07 * 100 is 7.000000000000001 in double: floored, still 7; 0.29 * 100 is 28.999999999999996: 28
        assertEquals(7, Gsm.selectedCount(0.07, 100));
        assertEquals(28, Gsm.selectedCount(0.29, 100));
        assertEquals(192, Gsm.selectedCount(1, 192));
    }

    @Test
    void gsmsFinalPruneZeroesTheFlooredComplement() {
        assertEquals(239_580, Gsm.finalPrunedCount(0.1, 266_200));
        // 1 - 0.25 = 0.75 exactly: 0.75 * 192 = 144
        assertEquals(144, Gsm.finalPrunedCount(0.25, 192));
        // 1 - 0.9 is 0.09999999999999998 in double: times 10 it is 0.9999999999999998, floored to 0 (not 1)
        assertEquals(0, Gsm.finalPrunedCount(0.9, 10));
        assertEquals(0, Gsm.finalPrunedCount(1, 192));
    }

    @Test
    void gmpsKeptCountRoundsHalfToEvenAndKeepsOne() {
        assertEquals(2, Gmp.keptCount(10, 0.75), "2.5 rounds to the even 2");
        assertEquals(4, Gmp.keptCount(14, 0.75), "3.5 rounds to the even 4");
        assertEquals(3, Gmp.keptCount(10, 0.7), "10 * 0.30000000000000004 = 3.0000000000000004 rounds to 3");
        assertEquals(1, Gmp.keptCount(3, 0.9), "0.3 rounds to 0, at least one is kept");
        assertEquals(150, Gmp.keptCount(150, 0));
    }
}
