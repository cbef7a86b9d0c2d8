package io.sparsestep.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sparsestep.store.Checkpoint;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A retrain run stopped mid-run (SIGTERM after its first checkpoint) and continued with
 * {@code sparsestep resume} writes a summary.json with the same {@code hyperparameters.retrain}
 * block as the uninterrupted retrain: the block travels in the checkpoint, so any resume
 * (the {@code resume} command, a comparison's or an experiment's) writes it again.
 */
class RetrainResumeTest {
    @Test
    void aResumedRetrainKeepsItsRetrainBlock(@TempDir Path dir) throws Exception {
        Path pruned = dir.resolve("pruned");
        CliRun p = CliRun.of("train", "--model", "lenet300", "--method", "magnitude", "--sparsity", "0.5", "--epochs", "2",
                "--train-samples", "300", "--test-samples", "100", "--batch-size", "50", "--device", "cpu", "--no-progress",
                "--out", pruned.toString());
        assertEquals(0, p.code(), p.err());
        List<String> retrain = List.of("retrain", "--from", pruned.toString(), "--mode", "finetune", "--epochs", "20", "--device", "cpu",
                "--no-progress", "--out");

        Path whole = dir.resolve("whole");
        CliRun w = CliRun.of(args(retrain, whole));
        assertEquals(0, w.code(), w.err());

        Path cut = dir.resolve("cut");
        CliProcess run = CliProcess.start(dir.resolve("cut.log"), List.of(args(retrain, cut)));
        ResumeTest.waitFor(cut, o -> Files.exists(o.resolve(Checkpoint.FILE_NAME)), run);
        run.process().destroy(); // SIGTERM: stops after the current step
        assertEquals(143, run.await(), run.output());
        assertFalse(Files.exists(cut.resolve("summary.json")), "a stopped run has no summary");

        CliRun resumed = CliRun.of("resume", cut.toString(), "--device", "cpu", "--no-progress");
        assertEquals(0, resumed.code(), resumed.err());
        JsonNode block = retrainBlock(cut);
        assertNotNull(block, "the resumed run's summary.json has hyperparameters.retrain");
        assertEquals("finetune", block.get("mode").asText());
        assertEquals(20, block.get("epochs").asInt());
        assertEquals(retrainBlock(whole), block, "the same block as the uninterrupted retrain's");
        assertTrue(block.get("from").asText().endsWith("weights.safetensors"), block.toString());
    }

    private static String[] args(List<String> retrain, Path out) {
        String[] a = retrain.toArray(new String[retrain.size() + 1]);
        a[retrain.size()] = out.toString();
        return a;
    }

    private static JsonNode retrainBlock(Path run) throws IOException {
        return new ObjectMapper().readTree(Files.readString(run.resolve("summary.json"))).get("runs").get(0).get("hyperparameters").get("retrain");
    }
}
