package io.sparsestep.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code train --last-batch train|drop} on LeNet-300-100: dropping changes the run exactly when
 * the batch size leaves a partial last batch (and only then), summary.json records it, and a run
 * stopped after epoch 1 and continued with {@code resume} ends with the uninterrupted run's weights
 * byte for byte, which needs the checkpoint to carry {@code --last-batch drop}. An unknown value
 * is one line and exit 2.
 */
class LastBatchCliTest {
    private static final List<String> RUN = List.of("--model", "lenet300", "--dataset", "synth-digits", "--method", "sgd",
            "--train-samples", "100", "--test-samples", "50", "--epochs", "2", "--device", "cpu", "--no-progress");

    @Test
    void dropChangesARunOnlyWhenTheBatchLeavesAPartialOneAndResumesBitForBit(@TempDir Path dir) throws IOException {
        Path kept = dir.resolve("kept"), dropped = dir.resolve("dropped"), even = dir.resolve("even"), evenDropped = dir.resolve("even-dropped");
        train(kept, "--batch-size", "32");
        train(dropped, "--batch-size", "32", "--last-batch", "drop");
        assertEquals("train", setting(kept));
        assertEquals("drop", setting(dropped));
        assertFalse(Arrays.equals(weights(kept), weights(dropped)), "100 = 3 x 32 + 4: the 4-image batch trained in one run only");
        train(even, "--batch-size", "25");
        train(evenDropped, "--batch-size", "25", "--last-batch", "drop");
        assertArrayEquals(weights(even), weights(evenDropped), "25 divides 100: nothing to drop, the same run");

        // the dropping run, stopped when epoch 2 starts, then resumed by the CLI from its checkpoint alone
        Path stopped = dir.resolve("stopped");
        StoppedRun.stopWhenEpochStarts(StoppedRun.config(args(stopped, "--batch-size", "32", "--last-batch", "drop")), 2);
        CliRun resumed = CliRun.of("resume", stopped.toString(), "--device", "cpu", "--no-progress");
        assertEquals(0, resumed.code(), resumed.err());
        assertArrayEquals(weights(dropped), weights(stopped), "the resumed run drops the last batch too");
        assertEquals("drop", setting(stopped));
    }

    @Test
    void anUnknownValueIsOneLineAndExit2(@TempDir Path dir) {
        // (a batch larger than the split is cut to the split by train, so drop always keeps one full batch there;
        // BatchLoaderTest covers the loader's own refusal)
        String unknown = CliRun.of(args(dir.resolve("a"), "--last-batch", "pad")).badInputLine();
        assertTrue(unknown.contains("--last-batch") && unknown.contains("'pad'"), unknown);
    }

    private static void train(Path out, String... more) {
        CliRun run = CliRun.of(args(out, more));
        assertEquals(0, run.code(), run.err());
    }

    private static String[] args(Path out, String... more) {
        List<String> a = new ArrayList<>(List.of("train"));
        a.addAll(RUN);
        a.addAll(List.of(more));
        a.addAll(List.of("--out", out.toString()));
        return a.toArray(String[]::new);
    }

    private static byte[] weights(Path out) throws IOException { return Files.readAllBytes(out.resolve("weights.safetensors")); }

    private static String setting(Path out) throws IOException {
        return new ObjectMapper().readTree(Files.readString(out.resolve("summary.json"))).get("runs").get(0)
                .get("hyperparameters").get("last_batch").asText();
    }
}
