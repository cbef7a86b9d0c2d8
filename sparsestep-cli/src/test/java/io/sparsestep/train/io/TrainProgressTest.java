package io.sparsestep.train.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class TrainProgressTest {

    /** Runs {@code body} with stdout and stderr captured; returns what both received. */
    private static String captured(Runnable body) {
        PrintStream out = System.out;
        PrintStream err = System.err;
        ByteArrayOutputStream sink = new ByteArrayOutputStream();
        PrintStream capture = new PrintStream(sink, true, StandardCharsets.UTF_8);
        System.setOut(capture);
        System.setErr(capture);
        try {
            body.run();
        } finally {
            System.setOut(out);
            System.setErr(err);
        }
        return sink.toString(StandardCharsets.UTF_8);
    }

    @Test
    void disabledPrintsNothingButKeepsTheRunningMean() {
        TrainProgress[] progress = new TrainProgress[1];
        String printed = captured(() -> {
            try (TrainProgress p = new TrainProgress("epoch 1", 3, false)) {
                p.step(1.0);
                p.step(2.0);
                p.step(6.0);
                progress[0] = p;
            }
        });
        assertEquals("", printed);
        assertEquals(3.0, progress[0].meanLoss());
        assertEquals(3, progress[0].stepsDone());
    }

    @Test
    void enabledWithoutATerminalPrintsNothing() {
        // Surefire's forked JVM has pipes, not a terminal; that is the CI situation.
        assumeFalse(TrainProgress.attachedToTerminal(), "this JVM has a terminal");
        String printed = captured(() -> {
            try (TrainProgress p = new TrainProgress("epoch 1", 100, true)) {
                for (int i = 0; i < 100; i++) {
                    p.step(0.5);
                }
            }
        });
        assertEquals("", printed);
    }

    @Test
    void shownBarCarriesTaskStepsAndRunningLoss() {
        ByteArrayOutputStream sink = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(sink, true, StandardCharsets.UTF_8);
        try (TrainProgress p = new TrainProgress("epoch 7", 3, out, 120)) {
            p.step(1.0);
            p.step(2.0);
            p.step(3.0);
        }
        String printed = sink.toString(StandardCharsets.UTF_8);
        String last = printed.substring(printed.lastIndexOf('\r') + 1);
        assertTrue(last.contains("epoch 7"), printed);
        assertTrue(last.contains("3/3"), printed);
        assertTrue(last.contains("loss 2.000"), printed);
    }

    /**
     * On an 80-column terminal the whole message survives, sparsity last, with the longest
     * title and step count of usual runs (CIFAR at batch 32: 1563 steps; 200 epochs).
     */
    @Test
    void sparsityFitsOnAnEightyColumnLine() {
        ByteArrayOutputStream sink = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(sink, true, StandardCharsets.UTF_8);
        int steps = 1563;
        try (TrainProgress p = new TrainProgress(TrainProgress.epochTask("gRDA", 160, 200), steps, out, 80)) {
            for (int i = 0; i < steps; i++) p.step(0.1234, 0.8123);
        }
        String printed = sink.toString(StandardCharsets.UTF_8);
        String last = printed.substring(printed.lastIndexOf('\r') + 1).strip();
        assertTrue(last.startsWith("gRDA epoch 160/200"), last);
        assertTrue(last.endsWith("loss 0.123 sp 0.812"), last);
        assertTrue(last.length() <= 80, last.length() + ": " + last);
    }

    @Test
    void withoutSparsityOnlyTheLossIsShown() {
        assertEquals("loss 2.303", TrainProgress.extraMessage(2.302585, Double.NaN));
        assertEquals("loss 0.050 sp 0.960", TrainProgress.extraMessage(0.05, 0.96));
    }

    @Test
    void meanIsNanBeforeTheFirstStepAndNegativeStepsAreRejected() {
        try (TrainProgress p = new TrainProgress("e", 0, false)) {
            assertTrue(Double.isNaN(p.meanLoss()));
        }
        assertThrows(IllegalArgumentException.class, () -> new TrainProgress("e", -1, false));
    }
}
