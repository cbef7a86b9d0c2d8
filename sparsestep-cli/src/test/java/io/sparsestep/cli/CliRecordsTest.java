package io.sparsestep.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sparsestep.train.io.SparsestepVersion;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What a finished run records: summary.json's provenance and results, metrics.csv's numbers, the augmentation, a collapse. */
class CliRecordsTest {
    @TempDir
    Path dir;

    private static final List<String> SMALL = List.of("--epochs", "1", "--train-samples", "100", "--test-samples", "20",
            "--batch-size", "50", "--device", "cpu", "--no-progress");

    private static CliRun train(Path out, String... extra) {
        List<String> args = new ArrayList<>(List.of("train", "--model", "lenet300"));
        args.addAll(SMALL);
        args.addAll(List.of(extra));
        args.addAll(List.of("--out", out.toString()));
        return CliRun.of(args.toArray(String[]::new));
    }

    private static JsonNode onlyRun(Path out) throws Exception {
        JsonNode runs = new ObjectMapper().readTree(out.resolve("summary.json").toFile()).get("runs");
        assertEquals(1, runs.size());
        return runs.get(0);
    }

    private static String lastLine(String text) {
        List<String> lines = text.strip().lines().toList();
        return lines.getLast();
    }

    @Test
    void summaryRecordsWhatRanAndMetricsHoldTheNumbersComputed() throws Exception {
        Path out = dir.resolve("my run");
        Instant before = Instant.now().truncatedTo(ChronoUnit.SECONDS);
        String[] args = {"train", "--model", "lenet300", "--epochs", "2", "--train-samples", "200", "--test-samples", "50",
                "--batch-size", "50", "--lr-schedule", "step", "--milestones", "1", "--device", "cpu", "--no-progress",
                "--out", out.toString()};
        CliRun r = CliRun.of(args);
        Instant after = Instant.now();
        assertEquals(0, r.code(), r.err());

        JsonNode run = onlyRun(out);
        assertEquals(SparsestepVersion.get(), run.get("sparsestep_version").asText());
        assertEquals("sparsestep " + String.join(" ", Arrays.copyOf(args, args.length - 1)) + " '" + out + "'",
                run.get("command_line").asText(), "the folder with a space is quoted, as a shell needs it");
        assertEquals(200, run.get("train_samples").asInt());
        assertEquals(50, run.get("test_samples").asInt());
        Instant started = Instant.parse(run.get("started_at").asText());
        assertTrue(run.get("started_at").asText().endsWith("Z"), "UTC");
        assertFalse(started.isBefore(before) || started.isAfter(after), started + " not in " + before + ".." + after);
        assertEquals("none", run.get("hyperparameters").get("augment").asText(), "1-channel data: no augmentation by default");

        List<String> csv = Files.readAllLines(out.resolve("metrics.csv"));
        List<String> header = List.of(csv.getFirst().split(","));
        assertEquals(List.of("epoch", "lr", "train_loss", "train_accuracy", "test_loss", "test_accuracy", "sparsity", "seconds",
                "sparsity:fc1", "sparsity:fc2", "sparsity:fc3"), header);
        String[] last = csv.get(2).split(",");
        assertEquals("0.01", last[1], "after the milestone the kernels apply the float 0.01; no 0.010000000000000002");
        assertEquals(Double.parseDouble(last[2]), run.get("train_loss").doubleValue(), 0.0);
        assertEquals(Double.parseDouble(last[4]), run.get("test_loss").doubleValue(), 0.0);
        List<String> layers = new ArrayList<>();
        run.get("layer_sparsity").fieldNames().forEachRemaining(layers::add);
        assertEquals(List.of("fc1", "fc2", "fc3"), layers);
        for (int i = 0; i < layers.size(); i++) {
            assertEquals(Double.parseDouble(last[8 + i]), run.get("layer_sparsity").get(layers.get(i)).doubleValue(), 0.0);
        }
        assertNotNull(ImageIO.read(out.resolve("chart-layers.png").toFile()), "chart-layers.png is an image");
        assertTrue(r.out().contains("      layer sparsity: fc1 "), r.out());
    }

    /** --c 1e6 prunes everything in the first steps; the run still ends with exit 0, and its last line says why it is useless. */
    @Test
    void aCollapsedGrdaRunSaysSoLast() throws Exception {
        CliRun r = train(dir.resolve("collapsed"), "--c", "1e6");
        assertEquals(0, r.code(), r.err());
        String last = lastLine(r.out());
        assertTrue(last.startsWith("warning: the gRDA run collapsed: all prunable weights are zero"), last);
        assertTrue(last.endsWith("Use a smaller --c (this run: 1000000)"), last);
        assertEquals(1.0, onlyRun(dir.resolve("collapsed")).get("sparsity").asDouble());

        List<String> demoArgs = new ArrayList<>(List.of("demo", "--c", "1e6", "--out", dir.resolve("demo").toString()));
        demoArgs.addAll(SMALL);
        CliRun demo = CliRun.of(demoArgs.toArray(String[]::new));
        assertEquals(0, demo.code(), demo.err());
        assertTrue(lastLine(demo.out()).startsWith("warning: the gRDA run collapsed"), demo.out());

        CliRun healthy = train(dir.resolve("healthy"));
        assertEquals(0, healthy.code(), healthy.err());
        assertFalse(healthy.out().contains("collapsed"), healthy.out());
    }

    @Test
    void augmentIsChosenRecordedAndApplied() throws Exception {
        CliRun cifar = train(dir.resolve("cifar"), "--dataset", "synth-cifar");
        assertEquals(0, cifar.code(), cifar.err());
        assertEquals("crop-flip", onlyRun(dir.resolve("cifar")).get("hyperparameters").get("augment").asText(), "3-channel default");
        assertTrue(cifar.out().contains(", augment crop-flip on "), cifar.out());

        CliRun plain = train(dir.resolve("plain"));
        CliRun flipped = train(dir.resolve("flipped"), "--augment", "crop-flip");
        assertEquals(0, plain.code(), plain.err());
        assertEquals(0, flipped.code(), flipped.err());
        assertEquals("crop-flip", onlyRun(dir.resolve("flipped")).get("hyperparameters").get("augment").asText(),
                "allowed on 1-channel data when asked for");
        assertFalse(Arrays.equals(Files.readAllBytes(dir.resolve("plain/weights.safetensors")),
                Files.readAllBytes(dir.resolve("flipped/weights.safetensors"))), "crop-flip changed nothing the network saw");

        CliRun none = train(dir.resolve("none"), "--augment", "none");
        assertEquals(0, none.code(), none.err());
        assertArrayEquals(Files.readAllBytes(dir.resolve("plain/weights.safetensors")),
                Files.readAllBytes(dir.resolve("none/weights.safetensors")), "none is the 1-channel default");
    }

    @Test
    void anUnknownAugmentationIsOneLineBeforeAnythingIsWritten() {
        Path out = dir.resolve("never");
        String line = train(out, "--augment", "mixup").badInputLine();
        assertEquals("sparsestep: --augment 'mixup' is not known; choose none or crop-flip", line);
        assertFalse(Files.exists(out));
        String demo = CliRun.of("demo", "--augment", "mixup", "--out", out.toString()).badInputLine();
        assertEquals(line, demo);
    }
}
