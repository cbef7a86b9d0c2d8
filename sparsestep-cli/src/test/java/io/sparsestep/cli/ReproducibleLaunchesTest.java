package io.sparsestep.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

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

    /** {@link #TRAIN} into {@code out} in a new JVM. */
    private record Launch(CliProcess process) {
        static Launch start(Path out) throws IOException {
            List<String> args = new ArrayList<>(TRAIN);
            args.addAll(List.of("--out", out.toString()));
            return new Launch(CliProcess.start(out.resolveSibling(out.getFileName() + ".log"), args));
        }

        void awaitSuccess() throws IOException, InterruptedException {
            assertEquals(0, process.await(), process.output());
        }
    }

    /** metrics.csv without its timing column. */
    private static List<String> untimed(Path csv) throws IOException {
        return CliProcess.untimedMetrics(csv);
    }
}
