package io.sparsestep.cli;

import io.sparsestep.store.Checkpoint;
import io.sparsestep.store.FloatTensorData;
import io.sparsestep.store.Safetensors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.Arena;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The pruning methods end to end through the CLI: a GMP run killed (SIGKILL) after its
 * second epoch resumes to the uninterrupted run's weights and mask, byte for byte; one-shot
 * magnitude with --prune-epoch 0 prunes --init-from's trained weights to exactly
 * round_half_even(sparsity x N) zeros, and its weights file carries the mask.
 */
class PruningCliTest {
    private static final List<String> RUN = List.of("--model", "lenet300", "--train-samples", "1200", "--test-samples", "200",
            "--batch-size", "50", "--device", "cpu", "--no-progress");

    @Test
    void aKilledGmpRunResumesToTheUninterruptedWeightsAndMask(@TempDir Path dir) throws Exception {
        List<String> gmp = List.of("--method", "gmp", "--epochs", "4", "--frequency", "6", "--final-sparsity", "0.9");
        Path whole = dir.resolve("whole");
        CliRun uninterrupted = CliRun.of(train(whole, gmp));
        assertEquals(0, uninterrupted.code(), uninterrupted.err());
        assertTrue(uninterrupted.out().contains("mask: 0.9000 of 266,200 conv/linear weights pruned"), uninterrupted.out());
        Path killed = dir.resolve("killed");
        CliProcess p = CliProcess.start(dir.resolve("killed.log"), List.of(train(killed, gmp)));
        long deadline = System.nanoTime() + 180_000_000_000L;
        while (!(Files.exists(killed.resolve(Checkpoint.FILE_NAME)) && rows(killed) >= 2)) {
            if (!p.process().isAlive()) throw new AssertionError("the run ended before the kill point:\n" + p.output());
            if (System.nanoTime() > deadline) throw new AssertionError("no kill point in 3 minutes:\n" + p.output());
            Thread.sleep(1);
        }
        p.kill();
        CliRun resumed = CliRun.of("resume", killed.toString(), "--device", "cpu", "--no-progress");
        assertEquals(0, resumed.code(), resumed.err());
        assertArrayEquals(Files.readAllBytes(whole.resolve("weights.safetensors")), Files.readAllBytes(killed.resolve("weights.safetensors")),
                "weights and mask after resume");
    }

    @Test
    void oneShotMagnitudePrunesTrainedWeightsToExactlyTheSparsity(@TempDir Path dir) throws Exception {
        Path trained = dir.resolve("trained");
        assertEquals(0, CliRun.of(train(trained, List.of("--method", "sgd", "--epochs", "1"))).code());
        Path pruned = dir.resolve("pruned");
        CliRun run = CliRun.of(train(pruned, List.of("--method", "magnitude", "--epochs", "1", "--prune-epoch", "0", "--sparsity", "0.8",
                "--init-from", trained.resolve("weights.safetensors").toString())));
        assertEquals(0, run.code(), run.err());
        try (Arena arena = Arena.ofConfined()) {
            Map<String, FloatTensorData> t = Safetensors.read(pruned.resolve("weights.safetensors"), arena);
            long zeros = 0, n = 0, maskZeros = 0;
            for (String layer : List.of("fc1", "fc2", "fc3")) {
                float[] w = t.get(layer + ".weight").data().toArray(ValueLayout.JAVA_FLOAT);
                float[] m = t.get("mask.prune." + layer + ".weight").data().toArray(ValueLayout.JAVA_FLOAT);
                for (int i = 0; i < w.length; i++) {
                    zeros += w[i] == 0 ? 1 : 0;
                    maskZeros += m[i] == 0 ? 1 : 0;
                    if (m[i] == 0) assertEquals(0, Float.floatToRawIntBits(w[i]), layer + " pruned entry " + i + " is +0.0");
                }
                n += w.length;
            }
            assertEquals(Math.rint(0.8 * n), maskZeros, "exactly round_half_even(0.8 * " + n + ") pruned");
            assertTrue(zeros >= maskZeros);
        }
    }

    private static String[] train(Path out, List<String> more) {
        List<String> args = new ArrayList<>(List.of("train"));
        args.addAll(RUN);
        args.addAll(more);
        args.addAll(List.of("--out", out.toString()));
        return args.toArray(String[]::new);
    }

    private static long rows(Path out) {
        try {
            Path csv = out.resolve("metrics.csv");
            return Files.exists(csv) ? Math.max(0, Files.readAllLines(csv).size() - 1) : 0;
        } catch (java.io.IOException e) {
            return 0;
        }
    }
}
