package io.sparsestep.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * README: "on the CPU a run is bitwise reproducible for a given seed and core count". Two
 * launches of the real CLI, each in its own JVM (so nothing a process happens to hold, such
 * as identity hash codes, JIT timing or thread start order, is shared), train a batch-norm
 * model on synth-cifar with crop+flip augmentation and must write the same
 * weights.safetensors byte for byte and the same metrics.csv but for its wall-clock column.
 * The child JVMs run the classes and the JDK this test runs on.
 */
class ReproducibleLaunchesTest {
    private static final List<String> TRAIN = List.of("train", "--model", "resnet20", "--dataset", "synth-cifar", "--optimizer", "grda",
            "--epochs", "2", "--train-samples", "10", "--test-samples", "4", "--batch-size", "4", "--seed", "5",
            "--device", "cpu", "--no-progress");
    /** Columns of metrics.csv that measure time, not training. */
    private static final List<String> TIMING_COLUMNS = List.of("seconds");

    @Test
    void twoLaunchesWriteTheSameWeightsAndMetrics(@TempDir Path dir) throws Exception {
        Path first = dir.resolve("first"), second = dir.resolve("second");
        // at the same time: half the wall time on two cores, and each run's threads are scheduled differently
        Launch a = Launch.start(first), b = Launch.start(second);
        a.awaitSuccess();
        b.awaitSuccess();
        assertArrayEquals(Files.readAllBytes(first.resolve("weights.safetensors")), Files.readAllBytes(second.resolve("weights.safetensors")),
                "weights.safetensors of two launches with one seed");
        List<String> metrics = untimed(first.resolve("metrics.csv"));
        assertEquals(3, metrics.size(), "header and two epochs: " + metrics);
        assertEquals(metrics, untimed(second.resolve("metrics.csv")), "metrics.csv of two launches with one seed, timing left out");
    }

    /** {@link #TRAIN} into {@code out} in a new JVM, with this JVM's java and class path and the flags sparsestep needs. */
    private record Launch(Process process, Path log) {
        static Launch start(Path out) throws IOException {
            List<String> command = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElseThrow(),
                    "--enable-native-access=ALL-UNNAMED", "--add-modules", "jdk.incubator.vector", "-Djava.awt.headless=true", "-Xmx1g",
                    "-cp", System.getProperty("java.class.path"), Main.class.getName()));
            command.addAll(TRAIN);
            command.addAll(List.of("--out", out.toString()));
            Path log = Files.createDirectories(out).resolveSibling(out.getFileName() + ".log");
            return new Launch(new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start(), log);
        }

        void awaitSuccess() throws IOException, InterruptedException {
            boolean done = process.waitFor(3, TimeUnit.MINUTES);
            if (!done) process.destroyForcibly();
            String said = Files.readString(log);
            assertTrue(done, "the launch did not finish in 3 minutes:\n" + said);
            assertEquals(0, process.exitValue(), said);
        }
    }

    /** The lines of a CSV file with the {@link #TIMING_COLUMNS} removed. */
    private static List<String> untimed(Path csv) throws IOException {
        List<String> lines = Files.readAllLines(csv);
        List<String> header = Arrays.asList(lines.getFirst().split(",", -1));
        assertTrue(header.containsAll(TIMING_COLUMNS), "metrics.csv header: " + header);
        List<String> kept = new ArrayList<>();
        for (String line : lines) {
            String[] cells = line.split(",", -1);
            List<String> row = new ArrayList<>();
            for (int c = 0; c < cells.length; c++) {
                if (!TIMING_COLUMNS.contains(header.get(c))) row.add(cells[c]);
            }
            kept.add(String.join(",", row));
        }
        return kept;
    }
}
