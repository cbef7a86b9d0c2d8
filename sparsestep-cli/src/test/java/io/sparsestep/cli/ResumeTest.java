package io.sparsestep.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sparsestep.store.Checkpoint;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Checkpoints and resume through the real CLI: a run killed with {@code kill -9} at several
 * points (during an epoch after the first checkpoint, later in the run, and during a
 * checkpoint write) and then resumed ends with bitwise the uninterrupted run's weights
 * file, the same metrics rows (the seconds column aside) and the same summary (times and
 * command line aside); SIGTERM stops a run after its current step with exit 143 and the
 * resume line; {@code --init-from} starts from saved weights; bad checkpoints are refused.
 */
class ResumeTest {
    private static final List<String> RUN = List.of("--model", "lenet300", "--train-samples", "1500",
            "--test-samples", "200", "--batch-size", "50", "--device", "cpu", "--no-progress");
    /** Summary keys that measure the invocation, not the training. */
    private static final List<String> INVOCATION_KEYS = List.of("seconds", "started_at", "command_line");

    @Test
    void aRunKilledAtAnyPointResumesToTheUninterruptedResult(@TempDir Path dir) throws Exception {
        Path whole = dir.resolve("whole");
        CliRun uninterrupted = CliRun.of(train(whole));
        assertEquals(0, uninterrupted.code(), uninterrupted.err());

        List<String> caught = new ArrayList<>();
        // during epoch 2, once the first checkpoint exists
        Path early = killWhen(dir.resolve("early"), out -> Files.exists(out.resolve(Checkpoint.FILE_NAME)));
        // late: after three epochs' rows
        Path late = killWhen(dir.resolve("late"), out -> rows(out) >= 3);
        // during a checkpoint write: the moment the temp file of one appears
        Path midWrite = killWhen(dir.resolve("mid-write"), out -> rows(out) >= 2 && tempCheckpoints(out) > 0);
        if (tempCheckpoints(midWrite) == 0) {
            // the write finished between two polls: leave what a kill inside it leaves, a torn temp file
            byte[] full = Files.readAllBytes(midWrite.resolve(Checkpoint.FILE_NAME));
            Files.write(midWrite.resolve("." + Checkpoint.FILE_NAME + ".tmp-0badc0de"), java.util.Arrays.copyOf(full, full.length / 3));
        } else {
            caught.add("killed inside a checkpoint write");
        }
        System.out.println("ResumeTest: " + (caught.isEmpty() ? "planted a torn temp file (the kill missed the write)" : caught));

        for (Path killed : List.of(early, late, midWrite)) {
            assertTrue(Files.exists(killed.resolve(Checkpoint.FILE_NAME)), killed + " has a checkpoint");
            CliRun resumed = CliRun.of("resume", killed.toString(), "--device", "cpu", "--no-progress");
            assertEquals(0, resumed.code(), killed + ": " + resumed.err());
            assertArrayEquals(Files.readAllBytes(whole.resolve("weights.safetensors")), Files.readAllBytes(killed.resolve("weights.safetensors")),
                    killed + ": weights after resume");
            assertEquals(CliProcess.untimedMetrics(whole.resolve("metrics.csv")), CliProcess.untimedMetrics(killed.resolve("metrics.csv")),
                    killed + ": metrics rows");
            assertEquals(training(whole), training(killed), killed + ": summary.json apart from times and command line");
            assertEquals(0, tempCheckpoints(killed), killed + ": stale temp files of a torn write are cleared");
        }
    }

    @Test
    void sigtermStopsAfterTheCurrentStepAndSaysHowToResume(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("run");
        List<String> args = new ArrayList<>(List.of("train"));
        args.addAll(RUN);
        args.addAll(List.of("--epochs", "50", "--out", out.toString()));
        CliProcess p = CliProcess.start(dir.resolve("run.log"), args);
        waitFor(out, o -> Files.exists(o.resolve(Checkpoint.FILE_NAME)), p);
        p.process().destroy(); // SIGTERM
        assertEquals(143, p.await(), p.output());
        String line = p.output().lines().filter(l -> l.startsWith("sparsestep: stopped by SIGTERM")).findFirst().orElseThrow(
                () -> new AssertionError("no stop line:\n" + uncheckedOutput(p)));
        assertTrue(line.contains("nothing is half-written") && line.contains("continue with: sparsestep resume " + out), line);
        assertFalse(Files.exists(out.resolve("summary.json")), "a stopped run has no summary");
        assertEquals(0, tempCheckpoints(out));
    }

    @Test
    void initFromStartsFromTheSavedWeightsAndRefusesAnotherModel(@TempDir Path dir) throws Exception {
        Path first = dir.resolve("first");
        assertEquals(0, CliRun.of(train(first, "--epochs", "1")).code());
        Path weights = first.resolve("weights.safetensors");
        // SGD at a vanishing lr leaves every non-zero weight where --init-from put it
        Path second = dir.resolve("second");
        CliRun tuned = CliRun.of(train(second, "--epochs", "1", "--method", "sgd", "--lr", "1e-30", "--momentum", "0", "--init-from",
                weights.toString()));
        assertEquals(0, tuned.code(), tuned.err());
        float[] before = floats(weights), after = floats(second.resolve("weights.safetensors"));
        int compared = 0;
        for (int i = 0; i < before.length; i++) {
            if (before[i] == 0f) continue;
            assertEquals(Float.floatToRawIntBits(before[i]), Float.floatToRawIntBits(after[i]), "weight " + i);
            compared++;
        }
        assertTrue(compared > 100_000, "compared " + compared + " weights");
        String refused = CliRun.of("train", "--model", "lenet5", "--epochs", "1", "--train-samples", "100", "--test-samples", "50",
                "--device", "cpu", "--no-progress", "--init-from", weights.toString(), "--out", dir.resolve("third").toString()).badInputLine();
        assertTrue(refused.contains(weights.toString()) && refused.contains("'conv1.weight'"), refused);
    }

    @Test
    void resumeRefusesWhatIsNotARunsCheckpointInOneLine(@TempDir Path dir) throws Exception {
        Path empty = Files.createDirectories(dir.resolve("empty"));
        assertTrue(CliRun.of("resume", empty.toString()).badInputLine().contains("no checkpoint at " + empty.resolve(Checkpoint.FILE_NAME)));
        assertTrue(CliRun.of("resume", dir.resolve("absent").toString()).badInputLine().contains("no such folder"));
        Path run = dir.resolve("run");
        assertEquals(0, CliRun.of(train(run, "--epochs", "1")).code());
        Path file = run.resolve(Checkpoint.FILE_NAME);
        byte[] bytes = Files.readAllBytes(file);
        Files.write(file, java.util.Arrays.copyOf(bytes, bytes.length / 2));
        String truncated = CliRun.of("resume", run.toString(), "--device", "cpu").badInputLine();
        assertTrue(truncated.contains(file.toString()), truncated);
        // a weights file is not a checkpoint
        Files.copy(run.resolve("weights.safetensors"), file, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        assertTrue(CliRun.of("resume", run.toString(), "--device", "cpu").badInputLine().contains("not a sparsestep checkpoint"));
    }

    // ------------------------------------------------------------------ helpers

    private static String[] train(Path out, String... more) {
        List<String> args = new ArrayList<>(List.of("train"));
        args.addAll(RUN);
        args.addAll(List.of(more));
        if (!args.contains("--epochs")) args.addAll(List.of("--epochs", "4"));
        if (!args.contains("--method")) args.addAll(List.of("--c", "0.02"));
        args.addAll(List.of("--out", out.toString()));
        return args.toArray(String[]::new);
    }

    /** Starts the run in its own JVM, kills it (SIGKILL) the moment {@code when} holds for its folder. */
    private static Path killWhen(Path out, Predicate<Path> when) throws Exception {
        CliProcess p = CliProcess.start(out.resolveSibling(out.getFileName() + ".log"), List.of(train(out)));
        waitFor(out, when, p);
        p.kill();
        return out;
    }

    static void waitFor(Path out, Predicate<Path> when, CliProcess p) throws Exception {
        long deadline = System.nanoTime() + 180_000_000_000L;
        while (!when.test(out)) {
            if (!p.process().isAlive()) throw new AssertionError("the run ended before the kill point:\n" + p.output());
            if (System.nanoTime() > deadline) throw new AssertionError("no kill point in 3 minutes:\n" + p.output());
            Thread.sleep(1);
        }
    }

    private static long rows(Path out) {
        try {
            Path csv = out.resolve("metrics.csv");
            return Files.exists(csv) ? Math.max(0, Files.readAllLines(csv).size() - 1) : 0;
        } catch (IOException e) {
            return 0; // being replaced at this moment
        }
    }

    private static long tempCheckpoints(Path out) {
        try (Stream<Path> files = Files.list(out)) {
            return files.filter(f -> f.getFileName().toString().startsWith("." + Checkpoint.FILE_NAME + ".tmp-")).count();
        } catch (IOException e) {
            return 0;
        }
    }

    /** summary.json's run without the keys that describe the invocation rather than the training. */
    private static JsonNode training(Path out) throws IOException {
        ObjectNode run = (ObjectNode) new ObjectMapper().readTree(Files.readString(out.resolve("summary.json"))).get("runs").get(0);
        run.remove(INVOCATION_KEYS);
        return run;
    }

    private static float[] floats(Path weights) throws IOException {
        try (var arena = java.lang.foreign.Arena.ofConfined()) {
            var tensors = io.sparsestep.store.Safetensors.read(weights, arena);
            List<Float> all = new ArrayList<>();
            for (var t : tensors.values()) for (float f : t.data().toArray(java.lang.foreign.ValueLayout.JAVA_FLOAT)) all.add(f);
            float[] out = new float[all.size()];
            for (int i = 0; i < out.length; i++) out[i] = all.get(i);
            return out;
        }
    }

    private static String uncheckedOutput(CliProcess p) {
        try {
            return p.output();
        } catch (IOException e) {
            return e.toString();
        }
    }
}
