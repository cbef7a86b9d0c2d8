package io.sparsestep.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code eval} reproduces a run's final test accuracy and sparsity from its weights file, and refuses foreign files in one line. */
class EvalCommandTest {
    @Test
    void evalReportsWhatTheRunEndedWith(@TempDir Path dir) throws IOException {
        Path out = dir.resolve("run");
        CliRun train = CliRun.of("train", "--model", "lenet300", "--epochs", "1", "--train-samples", "600", "--test-samples", "200",
                "--batch-size", "64", "--c", "0.05", "--device", "cpu", "--no-progress", "--out", out.toString());
        assertEquals(0, train.code(), train.err());
        JsonNode run = new ObjectMapper().readTree(Files.readString(out.resolve("summary.json"))).get("runs").get(0);
        CliRun eval = CliRun.of("eval", "--weights", out.resolve("weights.safetensors").toString(), "--model", "lenet300",
                "--train-samples", "600", "--test-samples", "200", "--device", "cpu");
        assertEquals(0, eval.code(), eval.err());
        assertTrue(eval.out().contains(String.format(Locale.ROOT, "test accuracy %.4f", run.get("test_accuracy").asDouble())), eval.out());
        assertTrue(eval.out().contains(String.format(Locale.ROOT, "sparsity: %.4f of 266,200 conv/linear weights (exact zeros)",
                run.get("sparsity").asDouble())), eval.out());
        assertTrue(eval.out().contains("of 266,610 all parameters"), eval.out());

        String wrongModel = CliRun.of("eval", "--weights", out.resolve("weights.safetensors").toString(), "--model", "lenet5",
                "--train-samples", "600", "--test-samples", "200", "--device", "cpu").badInputLine();
        // the file records its architecture, so the disagreement is named before any tensor is read
        assertTrue(wrongModel.contains("its architecture is of lenet300, not of --model lenet5"), wrongModel);
        Path garbage = Files.writeString(dir.resolve("garbage.safetensors"), "not a safetensors file at all");
        String corrupt = CliRun.of("eval", "--weights", garbage.toString(), "--model", "lenet300", "--device", "cpu").badInputLine();
        assertTrue(corrupt.contains(garbage.toString()), corrupt);
        String missing = CliRun.of("eval", "--weights", dir.resolve("absent").toString(), "--model", "lenet300").badInputLine();
        assertTrue(missing.contains("no such file"), missing);
    }
}
