package io.sparsestep.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code tune} end to end on a small LeNet-300-100: the reference and every trial are run
 * folders validated on the carved split (never the test split), the chosen c is the largest
 * that passed by the stated rule, a second run keeps every trial, {@code train --c auto}
 * trains with the c its tune chose, and bad input is one line and exit 2.
 */
class TuneCommandTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    // 2000 images and 2 epochs: fewer make the validation accuracy of a tiny c swing by points against SGD's
    private static final List<String> DATA = List.of("--model", "lenet300", "--train-samples", "2000", "--test-samples", "50",
            "--batch-size", "50", "--device", "cpu", "--no-progress");

    private static String[] tune(Path out, String... more) {
        List<String> a = new ArrayList<>(List.of("tune"));
        a.addAll(DATA);
        a.addAll(List.of("--epochs", "2", "--c-start", "0.01", "--factor", "4", "--max-trials", "4", "--refine", "1", "--tolerance", "3",
                "--out", out.toString()));
        a.addAll(List.of(more));
        return a.toArray(String[]::new);
    }

    @Test
    void theChosenCIsTheLargestThatKeptTheAccuracyAndARerunKeepsEveryTrial(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("tune");
        CliRun run = CliRun.of(tune(out));
        assertEquals(0, run.code(), run.err() + run.out());
        JsonNode t = JSON.readTree(out.resolve("tune.json").toFile());
        assertEquals(200, t.get("validation_images").asInt(), "floor(0.1 * 2000) held out");
        assertEquals(1800, t.get("train_images").asInt());
        double ref = t.get("reference").get("validation_accuracy").asDouble();
        assertEquals(ref, summary(out.resolve("sgd")).get("test_accuracy").asDouble(), "the reference is its run folder's accuracy");
        assertEquals("0", t.get("reference").get("options").get("--momentum").asText().replace(".0", ""));
        double largestPassed = -1;
        boolean failedOne = false;
        for (JsonNode trial : t.get("trials")) {
            double c = trial.get("c").asDouble();
            JsonNode s = summary(out.resolve(trial.get("folder").asText()));
            assertEquals(200, s.get("test_samples").asInt(), "c " + c + " is validated on the carved split, not the test split");
            assertEquals(trial.get("validation_accuracy").asDouble(), s.get("test_accuracy").asDouble());
            boolean passes = trial.get("validation_accuracy").asDouble() >= ref - 0.03 - 1e-12;
            assertEquals(passes, trial.get("passed").asBoolean(), "c " + c);
            if (passes) largestPassed = Math.max(largestPassed, c);
            else failedOne = true;
            assertEquals(c, Double.parseDouble(s.get("hyperparameters").get("method").get("--c").asText()), "the trial ran its own c");
        }
        assertTrue(failedOne, "the grid up to c = 0.64 reaches a c that loses the accuracy:\n" + run.out());
        assertEquals(largestPassed, t.get("chosen_c").asDouble());
        assertTrue(Files.size(out.resolve("tune.png")) > 10_000, "the chart");
        String md = Files.readString(out.resolve("tune.md"));
        assertTrue(md.contains("**chosen**") && md.contains("the test split is not used"), md);

        byte[] json = Files.readAllBytes(out.resolve("tune.json"));
        CliRun again = CliRun.of(tune(out));
        assertEquals(0, again.code(), again.err());
        assertFalse(again.out().contains("training from the start"), "a finished trial was trained again:\n" + again.out());
        assertEquals(t.get("trials").size() + 1L, again.out().lines().filter(l -> l.contains("finished earlier with this configuration; kept")).count(),
                again.out());
        assertArrayEquals(json, Files.readAllBytes(out.resolve("tune.json")), "the same search, the same result");
    }

    @Test
    void trainWithCAutoTrainsWithTheCItsTuneChose(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("auto");
        List<String> a = new ArrayList<>(List.of("train"));
        a.addAll(DATA);
        a.addAll(List.of("--epochs", "2", "--c", "auto", "--out", out.toString()));
        CliRun run = CliRun.of(a.toArray(String[]::new));
        assertEquals(0, run.code(), run.err() + run.out());
        JsonNode t = JSON.readTree(out.resolve("tune").resolve("tune.json").toFile());
        double chosen = t.get("chosen_c").asDouble();
        assertEquals(2, t.get("epochs").asInt(), "min(3, --epochs) epochs per trial");
        assertEquals(chosen, Double.parseDouble(summary(out).get("hyperparameters").get("method").get("--c").asText()));
        assertTrue(run.out().contains("--c auto: training with c = "), run.out());
        assertEquals(50, summary(out).get("test_samples").asInt(), "the run itself is tested on the test split");
    }

    @Test
    void badInputIsOneLineAndExitTwo(@TempDir Path dir) throws Exception {
        assertTrue(CliRun.of(tune(dir.resolve("a"), "--c", "0.1")).badInputLine().contains("tune searches --c; leave it out"));
        assertTrue(CliRun.of(tune(dir.resolve("b"), "--method", "sgd")).badInputLine().contains("--method sgd has no --c to tune; tune takes grda or sdprun"));
        assertTrue(CliRun.of(tune(dir.resolve("c"), "--validation", "0.7")).badInputLine().contains("--validation must be in (0, 0.5]"));
        assertTrue(CliRun.of("tune", "--model", "lenet300", "--factor", "1", "--out", dir.resolve("d").toString()).badInputLine().contains("--factor must be > 1"));
        assertTrue(CliRun.of("tune", "--model", "lenet300", "--tolerance", "-1", "--out", dir.resolve("e").toString()).badInputLine().contains("--tolerance must be >= 0"));
        assertTrue(CliRun.of("train", "--model", "lenet300", "--method", "sgd", "--c", "auto", "--out", dir.resolve("f").toString())
                .badInputLine().contains("--c"));

        // another run setting in the same folder: refused before any data is loaded or trial run
        Path other = dir.resolve("g");
        Files.createDirectories(other);
        Files.writeString(other.resolve("tune-settings.txt"), "run --model lenet5\nvalidation 0.1 of the training images\n");
        String line = CliRun.of(tune(other)).badInputLine();
        assertTrue(line.contains(other + " holds a tune of other settings") && line.contains("was: run --model lenet5"), line);
        assertFalse(Files.exists(other.resolve("sgd")), "nothing ran");
    }

    private static JsonNode summary(Path run) throws Exception {
        return JSON.readTree(run.resolve("summary.json").toFile()).get("runs").get(0);
    }
}
