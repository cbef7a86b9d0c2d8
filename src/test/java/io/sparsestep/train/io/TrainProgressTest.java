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
        assertTrue(last.contains("loss 2.0000"), printed);
    }

    @Test
    void meanIsNanBeforeTheFirstStepAndNegativeStepsAreRejected() {
        try (TrainProgress p = new TrainProgress("e", 0, false)) {
            assertTrue(Double.isNaN(p.meanLoss()));
        }
        assertThrows(IllegalArgumentException.class, () -> new TrainProgress("e", -1, false));
    }
}
