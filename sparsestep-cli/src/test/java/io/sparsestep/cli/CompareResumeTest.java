package io.sparsestep.cli;

import io.sparsestep.store.Checkpoint;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A comparison stopped by SIGTERM in its second run (its own JVM, as a user's Ctrl-C or a
 * scheduler's kill would) exits 143 with the run's stop line; run again, it keeps the
 * finished first run (its files untouched), resumes the second from its checkpoint and
 * trains the third, all three ending bitwise where an uninterrupted comparison ends; and a
 * run whose summary is missing after its last checkpoint is finished without training.
 */
class CompareResumeTest {
    private static final List<String> RUN = List.of("--methods", "sgd,grda,magnitude", "--train-samples", "1000", "--test-samples", "100",
            "--batch-size", "50", "--epochs", "3", "--device", "cpu", "--no-progress");
    private static final List<String> METHODS = List.of("sgd", "grda", "magnitude");

    @Test
    void aStoppedComparisonKeepsItsFinishedRunsAndResumesTheInterruptedOne(@TempDir Path dir) throws Exception {
        Path whole = dir.resolve("whole");
        CliRun uninterrupted = CliRun.of(compare(whole));
        assertEquals(0, uninterrupted.code(), uninterrupted.err());

        Path cut = dir.resolve("cut");
        CliProcess p = CliProcess.start(dir.resolve("cut.log"), List.of(compare(cut)));
        long deadline = System.nanoTime() + 180_000_000_000L;
        while (!Files.exists(cut.resolve("grda").resolve(Checkpoint.FILE_NAME))) {
            assertTrue(p.process().isAlive(), "the comparison ended before its second run's first checkpoint:\n" + p.output());
            assertTrue(System.nanoTime() < deadline, "no checkpoint of the second run in 3 minutes:\n" + p.output());
            Thread.sleep(1);
        }
        p.process().destroy(); // SIGTERM
        assertEquals(143, p.await(), p.output());
        String stop = p.output().lines().filter(l -> l.startsWith("sparsestep: stopped by SIGTERM")).findFirst()
                .orElseThrow(() -> new AssertionError("no stop line:\n" + uncheckedOutput(p)));
        assertTrue(stop.contains("continue with: sparsestep resume " + cut.resolve("grda")), stop);
        assertTrue(p.output().contains("compare: stopped; run the same command again to continue the comparison"), p.output());
        assertFalse(Files.exists(cut.resolve("summary.json")), "a stopped comparison has no summary");
        assertFalse(Files.exists(cut.resolve("grda").resolve("summary.json")), "the stopped run has no summary");

        Map<String, FileTime> first = CompareCommandTest.times(cut, "sgd");
        CliRun again = CliRun.of(compare(cut));
        assertEquals(0, again.code(), again.err());
        assertTrue(again.out().contains("[1/3] sgd (SGD): finished earlier with this configuration; kept"), again.out());
        assertTrue(again.out().contains("[2/3] grda (gRDA): resuming its checkpoint after epoch "), again.out());
        assertTrue(again.out().contains("[3/3] magnitude (one-shot magnitude): training from the start"), again.out());
        assertEquals(first, CompareCommandTest.times(cut, "sgd"), "the finished run was not trained again");
        assertSameRuns(whole, cut);

        // killed after the last checkpoint, before the summary: finished from the checkpoint, no epoch trained again
        Files.delete(cut.resolve("grda").resolve("summary.json"));
        CliRun finish = CliRun.of(compare(cut));
        assertEquals(0, finish.code(), finish.err());
        assertTrue(finish.out().contains("[2/3] grda (gRDA): resuming its checkpoint after epoch 3 of 3"), finish.out());
        assertFalse(finish.out().contains("gRDA  epoch"), "an epoch was trained again:\n" + finish.out());
        assertTrue(Files.exists(cut.resolve("grda").resolve("summary.json")));
        assertSameRuns(whole, cut);
    }

    private static void assertSameRuns(Path whole, Path cut) throws Exception {
        for (String m : METHODS) {
            assertArrayEquals(Files.readAllBytes(whole.resolve(m).resolve("weights.safetensors")), Files.readAllBytes(cut.resolve(m).resolve("weights.safetensors")),
                    m + ": weights of the taken-up comparison");
            assertEquals(CliProcess.untimedMetrics(whole.resolve(m).resolve("metrics.csv")), CliProcess.untimedMetrics(cut.resolve(m).resolve("metrics.csv")),
                    m + ": metrics rows");
        }
    }

    private static String[] compare(Path out) {
        List<String> args = new ArrayList<>(List.of("compare"));
        args.addAll(RUN);
        args.addAll(List.of("--out", out.toString()));
        return args.toArray(String[]::new);
    }

    private static String uncheckedOutput(CliProcess p) {
        try {
            return p.output();
        } catch (java.io.IOException e) {
            return e.toString();
        }
    }
}
