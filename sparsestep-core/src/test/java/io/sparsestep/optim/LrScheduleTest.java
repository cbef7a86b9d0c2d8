package io.sparsestep.optim;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

class LrScheduleTest {
    @Test
    void stepDropsAtMilestoneEpochs() {
        LrSchedule s = LrSchedule.parse("step", 10, new int[]{3, 6}, 0.1);
        assertEquals(1.0, s.factor(0, 100));
        assertEquals(1.0, s.factor(299, 100));
        assertEquals(0.1, s.factor(300, 100), 1e-15);
        assertEquals(0.01, s.factor(600, 100), 1e-15);
    }

    @Test
    void cosineGoesFromOneToZero() {
        LrSchedule s = LrSchedule.parse("cosine", 4, new int[0], 0);
        assertEquals(1.0, s.factor(0, 10), 1e-15);
        assertEquals(0.5, s.factor(20, 10), 1e-12);
        assertEquals(0.0, s.factor(40, 10), 1e-12);
    }

    @Test
    void constantAndUnknown() {
        assertEquals(1.0, LrSchedule.parse("constant", 3, new int[0], 0).factor(1234, 7));
        HyperparameterException e = assertThrows(HyperparameterException.class, () -> LrSchedule.parse("linear", 3, new int[0], 0));
        assertEquals("schedule", e.parameter());
    }

    /** Each rejected list would drop never, twice at once, or before training starts. */
    @Test
    void milestonesMustBeIncreasingAndBeforeTheLastEpoch() {
        for (int[] bad : new int[][]{{-1}, {0, 2}, {2, 4}, {5}, {3, 2}, {2, 2}}) {
            HyperparameterException e = assertThrows(HyperparameterException.class,
                    () -> LrSchedule.parse("step", 4, bad, 0.1), java.util.Arrays.toString(bad));
            assertEquals("milestones", e.parameter());
        }
        assertEquals(0.1, LrSchedule.parse("step", 4, new int[]{3}, 0.1).factor(3, 1), 1e-15);
        HyperparameterException e = assertThrows(HyperparameterException.class, () -> LrSchedule.parse("cosine", 4, new int[]{2}, 0.1));
        assertEquals("milestones", e.parameter());
    }

    @Test
    void gammaMustBeFiniteAndPositive() {
        for (double bad : new double[]{0, -0.1, Double.NaN, Double.POSITIVE_INFINITY}) {
            HyperparameterException e = assertThrows(HyperparameterException.class, () -> LrSchedule.parse("step", 4, new int[0], bad));
            assertEquals("gamma", e.parameter());
            assertTrue(e.messageFor("--gamma").startsWith("--gamma must be finite and > 0, got "), e.messageFor("--gamma"));
        }
    }

    /** Half and three quarters, each once, and only drops that happen before the last epoch. */
    @Test
    void defaultMilestones() {
        assertArrayEquals(new int[0], LrSchedule.defaultMilestones(1));
        assertArrayEquals(new int[]{1}, LrSchedule.defaultMilestones(2), "two epochs: one drop, not gamma squared");
        assertArrayEquals(new int[]{1, 2}, LrSchedule.defaultMilestones(3));
        assertArrayEquals(new int[]{80, 120}, LrSchedule.defaultMilestones(160));
        LrSchedule two = LrSchedule.parse("step", 2, new int[0], 0.1);
        assertEquals(0.1, two.factor(1, 1), 1e-15);
    }
}
