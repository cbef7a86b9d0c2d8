package io.sparsestep.train.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SummaryJsonTest {
    @TempDir
    Path dir;

    private static RunSummary grda() {
        Map<String, Object> hyper = new LinkedHashMap<>();
        hyper.put("lr", 0.1);
        hyper.put("c", 0.005);
        hyper.put("mu", 0.51);
        hyper.put("batch_size", 128);
        hyper.put("schedule", "constant");
        LinkedHashMap<String, Double> layers = new LinkedHashMap<>();
        layers.put("conv2", 0.95);
        layers.put("conv1", 0.5);
        layers.put("fc1", 0.875);
        return new RunSummary("grda", "lenet5", "mnist", "cpu", 10, 0.9912, 0.875, 61706L,
                123.25, 3_000_000_000L, 246824L, hyper, 0.03125, 0.0275, 60000, 10000, layers,
                "2026-11-21T09:30:00Z", "sparsestep train --model lenet5 --out 'my runs/a'", "0.1.0");
    }

    private static RunSummary sgd() {
        return new RunSummary("sgd", "lenet5", "mnist", "cuda:0", 10, 0.99, 0.0, 61706L, 80.5,
                1024L, 0L, Map.of("lr", 0.01), 0.01, 0.02, 600, 100, Map.of("conv1", 0.0),
                "2026-11-21T09:32:05Z", "sparsestep demo", "0.1.0");
    }

    /** {@link #grda()} with another start time. */
    private static RunSummary startedAt(String time) {
        RunSummary g = grda();
        return new RunSummary(g.optimizer(), g.model(), g.dataset(), g.device(), g.epochs(), g.testAccuracy(), g.sparsity(),
                g.params(), g.seconds(), g.peakMemoryBytes(), g.optimizerStateBytes(), g.hyperparameters(), g.trainLoss(),
                g.testLoss(), g.trainSamples(), g.testSamples(), g.layerSparsity(), time, g.commandLine(), g.sparsestepVersion());
    }

    @Test
    void roundTripKeepsEveryRunAndField() throws IOException {
        Path file = dir.resolve("summary.json");
        List<RunSummary> runs = List.of(grda(), sgd());
        SummaryJson.write(file, runs);
        assertEquals(runs, SummaryJson.read(file));
    }

    @Test
    void usesTheAgreedSnakeCaseNamesAndValues() throws IOException {
        Path file = dir.resolve("summary.json");
        SummaryJson.write(file, List.of(grda()));
        JsonNode root = new ObjectMapper().readTree(file.toFile());
        List<String> top = new ArrayList<>();
        root.fieldNames().forEachRemaining(top::add);
        assertEquals(List.of("runs"), top);
        JsonNode run = root.get("runs").get(0);
        List<String> fields = new ArrayList<>();
        run.fieldNames().forEachRemaining(fields::add);
        assertEquals(List.of("optimizer", "model", "dataset", "test_accuracy", "sparsity", "params",
                "seconds", "device", "epochs", "hyperparameters", "peak_memory_bytes",
                "optimizer_state_bytes", "train_loss", "test_loss", "train_samples", "test_samples",
                "layer_sparsity", "started_at", "command_line", "sparsestep_version"), fields);
        assertEquals("grda", run.get("optimizer").asText());
        assertEquals(0.9912, run.get("test_accuracy").doubleValue());
        assertEquals(0.875, run.get("sparsity").doubleValue());
        assertEquals(61706L, run.get("params").longValue());
        assertEquals(3_000_000_000L, run.get("peak_memory_bytes").longValue());
        assertEquals(246824L, run.get("optimizer_state_bytes").longValue());
        assertEquals(128, run.get("hyperparameters").get("batch_size").intValue());
        assertEquals("constant", run.get("hyperparameters").get("schedule").asText());
        assertEquals(0.03125, run.get("train_loss").doubleValue());
        assertEquals(0.0275, run.get("test_loss").doubleValue());
        assertEquals(60000, run.get("train_samples").intValue());
        assertEquals(10000, run.get("test_samples").intValue());
        List<String> layers = new ArrayList<>();
        run.get("layer_sparsity").fieldNames().forEachRemaining(layers::add);
        assertEquals(List.of("conv2", "conv1", "fc1"), layers, "layers keep the network's order");
        assertEquals(0.95, run.get("layer_sparsity").get("conv2").doubleValue());
        assertEquals("2026-11-21T09:30:00Z", run.get("started_at").asText());
        assertEquals("sparsestep train --model lenet5 --out 'my runs/a'", run.get("command_line").asText());
        assertEquals("0.1.0", run.get("sparsestep_version").asText());
    }

    @Test
    void readingKeepsTheLayerOrder() throws IOException {
        Path file = dir.resolve("summary.json");
        SummaryJson.write(file, List.of(grda()));
        assertEquals(List.of("conv2", "conv1", "fc1"), List.copyOf(SummaryJson.read(file).getFirst().layerSparsity().keySet()));
    }

    @Test
    void theStartTimeIsIsoUtc() {
        assertEquals("2026-11-21T09:30:00.250Z", startedAt("2026-11-21T09:30:00.250Z").startedAt());
        for (String bad : new String[]{"2026-11-21T10:30:00+01:00", "2026-11-21 09:30:00", "yesterday", null}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> startedAt(bad), bad);
            assertTrue(e.getMessage().contains("started_at") && e.getMessage().contains("2026-11-21T09:30:00Z"), e.getMessage());
        }
    }

    @Test
    void missingFieldIsAOneLineErrorNamingFileAndField() throws IOException {
        Path file = dir.resolve("summary.json");
        Files.writeString(file, """
                {"runs":[{"optimizer":"grda","model":"m","dataset":"d","sparsity":0.5,"params":1,
                "seconds":1.0,"device":"cpu","epochs":1,"hyperparameters":{},"peak_memory_bytes":0,
                "optimizer_state_bytes":0,"train_loss":1.0,"test_loss":1.0,"train_samples":1,"test_samples":1,
                "layer_sparsity":{},"started_at":"2026-11-21T09:30:00Z","command_line":"sparsestep demo",
                "sparsestep_version":"0.1.0"}]}
                """);
        IOException e = assertThrows(IOException.class, () -> SummaryJson.read(file));
        assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
        assertTrue(e.getMessage().contains("test_accuracy"), e.getMessage());
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
    }

    @Test
    void outOfRangeValueInFileIsAOneLineError() throws IOException {
        Path file = dir.resolve("summary.json");
        SummaryJson.write(file, List.of(grda()));
        Files.writeString(file, Files.readString(file).replace("0.9912", "99.12"));
        IOException e = assertThrows(IOException.class, () -> SummaryJson.read(file));
        assertTrue(e.getMessage().contains("test_accuracy") && e.getMessage().contains("99.12"), e.getMessage());
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
    }

    @Test
    void fileWithoutRunsArrayIsRejected() throws IOException {
        Path file = dir.resolve("summary.json");
        Files.writeString(file, "{}");
        IOException e = assertThrows(IOException.class, () -> SummaryJson.read(file));
        assertTrue(e.getMessage().contains("runs"), e.getMessage());
    }

    private static RunSummary summary(String optimizer, double accuracy, double sparsity, Map<String, Double> layers,
                                      int trainSamples, double trainLoss) {
        return new RunSummary(optimizer, "m", "d", "cpu", 1, accuracy, sparsity, 1, 1.0, 0, 0, Map.of(), trainLoss, 1.0,
                trainSamples, 1, layers, "2026-11-21T09:30:00Z", "sparsestep demo", "0.1.0");
    }

    @Test
    void fractionsOutsideZeroToOneAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> summary("grda", 91.2, 0.5, Map.of(), 1, 1.0));
        assertThrows(IllegalArgumentException.class, () -> summary("grda", 0.9, Double.NaN, Map.of(), 1, 1.0));
        assertThrows(IllegalArgumentException.class, () -> summary(" ", 0.9, 0.5, Map.of(), 1, 1.0));
        IllegalArgumentException layer = assertThrows(IllegalArgumentException.class,
                () -> summary("grda", 0.9, 0.5, Map.of("fc1", 1.5), 1, 1.0));
        assertTrue(layer.getMessage().contains("layer_sparsity.fc1"), layer.getMessage());
    }

    @Test
    void countsAndLossesOutOfRangeAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> summary("grda", 0.9, 0.5, Map.of(), 0, 1.0));
        assertThrows(IllegalArgumentException.class, () -> summary("grda", 0.9, 0.5, Map.of(), 1, -0.5));
        assertEquals(Double.NaN, summary("grda", 0.9, 0.5, Map.of(), 1, Double.NaN).trainLoss(), "NaN is a loss, written as such");
    }
}
