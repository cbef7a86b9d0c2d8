package io.sparsestep.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code train --bn-recalibrate} through the CLI on ResNet-20: summary.json records the setting;
 * a run stopped after epoch 1 and continued with {@code resume} ends with the uninterrupted
 * run's weights file byte for byte, which it can only do if the checkpoint carries
 * {@code --bn-recalibrate end} (SGD's default is off, and the last epoch's recompute changes the
 * saved statistics); an unknown value is one line and exit 2; a model without batch norm trains
 * under sDprun's eval default (and a given eval) and records off.
 */
class BnRecalibrationCliTest {
    private static final List<String> RUN = List.of("--model", "resnet20", "--dataset", "synth-cifar", "--method", "sgd",
            "--train-samples", "64", "--test-samples", "32", "--batch-size", "32", "--epochs", "2", "--device", "cpu", "--no-progress");

    @Test
    void theSettingIsRecordedAndAResumedRunRecomputesAsTheUninterruptedOne(@TempDir Path dir) throws IOException {
        Path whole = dir.resolve("whole"), plain = dir.resolve("plain"), stopped = dir.resolve("stopped");
        CliRun uninterrupted = CliRun.of(args(whole, "--bn-recalibrate", "end"));
        assertEquals(0, uninterrupted.code(), uninterrupted.err());
        assertEquals("end", setting(whole));
        CliRun off = CliRun.of(args(plain));
        assertEquals(0, off.code(), off.err());
        assertEquals("off", setting(plain), "SGD's default");
        assertNotEquals(summary(whole).get("test_loss").asDouble(), summary(plain).get("test_loss").asDouble(),
                "the recompute should change the final evaluation here, or the resume below could not see it go missing");

        // the same run, stopped when epoch 2 starts (its checkpoint is the one after epoch 1), then resumed by the CLI
        StoppedRun.stopWhenEpochStarts(StoppedRun.config(args(stopped, "--bn-recalibrate", "end")), 2);
        CliRun resumed = CliRun.of("resume", stopped.toString(), "--device", "cpu", "--no-progress");
        assertEquals(0, resumed.code(), resumed.err());
        assertArrayEquals(Files.readAllBytes(whole.resolve("weights.safetensors")), Files.readAllBytes(stopped.resolve("weights.safetensors")),
                "the resumed run's weights and recomputed statistics");
        assertEquals("end", setting(stopped));
    }

    @Test
    void anUnknownSettingIsOneLineAndExit2(@TempDir Path dir) {
        String line = CliRun.of(args(dir.resolve("run"), "--bn-recalibrate", "always")).badInputLine();
        assertTrue(line.contains("--bn-recalibrate always") && line.contains("off, eval, end"), line);
    }

    @Test
    void aModelWithoutBatchNormTrainsWithoutTheStatisticsPassAndRecordsOff(@TempDir Path dir) throws IOException {
        // sDprun declares eval, and eval is also given: LeNet-5 has no batch norm, so the run builds no
        // statistics pass (the trainer refuses a recalibrating run without one) and records what it did
        for (String[] given : List.of(new String[0], new String[] {"--bn-recalibrate", "eval"})) {
            Path out = dir.resolve("lenet5-" + given.length);
            List<String> a = new ArrayList<>(List.of("train", "--model", "lenet5", "--method", "sdprun", "--train-samples", "64",
                    "--test-samples", "32", "--batch-size", "32", "--epochs", "1", "--device", "cpu", "--no-progress", "--out", out.toString()));
            a.addAll(List.of(given));
            CliRun run = CliRun.of(a.toArray(String[]::new));
            assertEquals(0, run.code(), run.err());
            assertEquals("off", setting(out), String.join(" ", given));
        }
    }

    private static String[] args(Path out, String... more) {
        List<String> a = new ArrayList<>(List.of("train"));
        a.addAll(RUN);
        a.addAll(List.of(more));
        a.addAll(List.of("--out", out.toString()));
        return a.toArray(String[]::new);
    }

    /** summary.json's run entry. */
    private static JsonNode summary(Path out) throws IOException {
        return new ObjectMapper().readTree(Files.readString(out.resolve("summary.json"))).get("runs").get(0);
    }

    private static String setting(Path out) throws IOException {
        return summary(out).get("hyperparameters").get("bn_recalibrate").asText();
    }
}
