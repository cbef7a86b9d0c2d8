package io.sparsestep.analysis;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Section 9's connection rule on examples worked by hand. */
class ConnectionPruningTest {
    @Test
    void prunesTheLeastImportantWhileTheirSumStaysBelowOneMinusV() {
        // |w| E|a| = 0.5*2, 4*0.25, 0.1*1, 2*3, 0.2*0.5 = 1, 1, 0.1, 6, 0.1; total 8.2
        // ascending: 0.1 (index 2), 0.1 (index 4), 1 (index 0), 1 (index 1), 6 (index 3)
        // cumulative shares: 0.0122, 0.0244, 0.1463, 0.2683, 1
        float[] w = {0.5f, -4f, 0.1f, 2f, -0.2f};
        double[] a = {2, 0.25, 1, 3, 0.5};
        // v = 0.9: below 0.1 are the two 0.1s (0.0244 < 0.1; 0.1463 is not)
        assertArrayEquals(new boolean[] {true, true, false, true, false}, ConnectionPruning.keep(w, a, 0.9));
        // v = 0.8: 0.1463 < 0.2 goes too, 0.2683 does not
        assertArrayEquals(new boolean[] {false, true, false, true, false}, ConnectionPruning.keep(w, a, 0.8));
        // v = 0.99: 0.0122 < 0.01 fails at once: nothing pruned
        assertArrayEquals(new boolean[] {true, true, true, true, true}, ConnectionPruning.keep(w, a, 0.99));
        // v = 1: 1 - v = 0, no share is below it
        assertArrayEquals(new boolean[] {true, true, true, true, true}, ConnectionPruning.keep(w, a, 1));
    }

    @Test
    void equalImportancesGoInIndexOrderTheLowerFirst() {
        // four equal shares of 0.25: at v = 0.6, 0.25 < 0.4 prunes index 0, then 0.5 does not
        float[] w = {1, 1, 1, 1};
        double[] a = {1, 1, 1, 1};
        assertArrayEquals(new boolean[] {false, true, true, true}, ConnectionPruning.keep(w, a, 0.6));
        // at v = 0.4: 0.25 and 0.5 are below 0.6, indices 0 and 1 go
        assertArrayEquals(new boolean[] {false, false, true, true}, ConnectionPruning.keep(w, a, 0.4));
    }

    @Test
    void anInactiveUnitKeepsEverythingAndBadInputIsRefused() {
        assertArrayEquals(new boolean[] {true, true}, ConnectionPruning.keep(new float[] {1, 2}, new double[] {0, 0}, 0.5));
        assertThrows(IllegalArgumentException.class, () -> ConnectionPruning.keep(new float[] {1}, new double[] {1, 2}, 0.5));
        assertThrows(IllegalArgumentException.class, () -> ConnectionPruning.keep(new float[] {1}, new double[] {1}, 0));
    }
}
