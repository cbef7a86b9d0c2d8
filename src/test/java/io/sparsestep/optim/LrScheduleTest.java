package io.sparsestep.optim;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

class LrScheduleTest {
    @Test
    void stepDropsAtMilestoneEpochs() {
        LrSchedule s = LrSchedule.parse("step", 10, new int[]{6, 3}, 0.1);
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
        assertThrows(IllegalArgumentException.class, () -> LrSchedule.parse("linear", 3, new int[0], 0));
    }
}
