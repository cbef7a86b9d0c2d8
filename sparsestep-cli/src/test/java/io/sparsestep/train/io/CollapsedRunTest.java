package io.sparsestep.train.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class CollapsedRunTest {
    private static RunSummary run(String optimizer, double accuracy, double sparsity) {
        return new RunSummary(optimizer, "lenet300", "synth-digits", "cpu", 1, accuracy, sparsity, 1, 1.0, 0, 0, Map.of(),
                2.3, 2.3, 100, 100, Map.of(), "2026-11-21T09:30:00Z", "sparsestep train", "0.1.0");
    }

    @Test
    void chanceIsOneOverTheClassesPlusTheStatedMargin() {
        assertEquals(0.02, CollapsedRun.CHANCE_MARGIN);
        assertEquals(0.1 + 0.02, CollapsedRun.chanceThreshold(10), 1e-15);
        assertEquals(0.01 + 0.02, CollapsedRun.chanceThreshold(100), 1e-15);
        assertTrue(CollapsedRun.atChance(0.1135, 10), "always answering MNIST's most frequent test class");
        assertTrue(CollapsedRun.atChance(CollapsedRun.chanceThreshold(10), 10), "the threshold itself is chance");
        assertFalse(CollapsedRun.atChance(Math.nextUp(CollapsedRun.chanceThreshold(10)), 10));
        assertFalse(CollapsedRun.atChance(0.125, 10));
        assertTrue(CollapsedRun.atChance(0.03, 100));
        assertFalse(CollapsedRun.atChance(0.031, 100));
        assertThrows(IllegalArgumentException.class, () -> CollapsedRun.chanceThreshold(1));
    }

    @Test
    void aRunAtFullSparsityOrAtChanceIsCalledOutWithTheFix() {
        String both = CollapsedRun.warning(run("grda", 0.1, 1.0), 10, 1e6).orElseThrow();
        assertEquals("warning: the gRDA run collapsed: all prunable weights are zero (sparsity 1.0) and test accuracy 0.1000"
                + " is chance level for 10 classes (<= 1/10 + 0.02); its threshold pruned the network away."
                + " Use a smaller --c (this run: 1000000)", both);

        String sparseOnly = CollapsedRun.warning(run("grda", 0.9, 1.0), 10, 0.5).orElseThrow();
        assertTrue(sparseOnly.contains("all prunable weights are zero") && !sparseOnly.contains("chance"), sparseOnly);
        assertTrue(sparseOnly.endsWith("Use a smaller --c (this run: 0.5)"), sparseOnly);

        String chanceOnly = CollapsedRun.warning(run("grda", 0.11, 0.99), 10, 0.05).orElseThrow();
        assertTrue(chanceOnly.contains("test accuracy 0.1100 is chance level") && !chanceOnly.contains("all prunable"), chanceOnly);
        assertFalse(chanceOnly.contains("\n"));
    }

    @Test
    void aHealthyRunOrAnSgdRunIsNot() {
        assertEquals(Optional.empty(), CollapsedRun.warning(run("grda", 0.9967, 0.9615), 10, 0.01));
        assertEquals(Optional.empty(), CollapsedRun.warning(run("grda", 0.5, 0.999999), 10, 0.01));
        assertEquals(Optional.empty(), CollapsedRun.warning(run("sgd", 0.1, 0.0), 10, 0.01), "SGD has no c to blame");
    }
}
