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
        return new RunSummary("grda", "lenet5", "mnist", "cpu", 10, 0.9912, 0.875, 61706L,
                123.25, 3_000_000_000L, 246824L, hyper);
    }

    private static RunSummary sgd() {
        return new RunSummary("sgd", "lenet5", "mnist", "cuda:0", 10, 0.99, 0.0, 61706L, 80.5,
                1024L, 0L, Map.of("lr", 0.01));
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
                "optimizer_state_bytes"), fields);
        assertEquals("grda", run.get("optimizer").asText());
        assertEquals(0.9912, run.get("test_accuracy").doubleValue());
        assertEquals(0.875, run.get("sparsity").doubleValue());
        assertEquals(61706L, run.get("params").longValue());
        assertEquals(3_000_000_000L, run.get("peak_memory_bytes").longValue());
        assertEquals(246824L, run.get("optimizer_state_bytes").longValue());
        assertEquals(128, run.get("hyperparameters").get("batch_size").intValue());
        assertEquals("constant", run.get("hyperparameters").get("schedule").asText());
    }

    @Test
    void missingFieldIsAOneLineErrorNamingFileAndField() throws IOException {
        Path file = dir.resolve("summary.json");
        Files.writeString(file, """
                {"runs":[{"optimizer":"grda","model":"m","dataset":"d","sparsity":0.5,"params":1,
                "seconds":1.0,"device":"cpu","epochs":1,"hyperparameters":{},"peak_memory_bytes":0,
                "optimizer_state_bytes":0}]}
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

    @Test
    void fractionsOutsideZeroToOneAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> new RunSummary("grda", "m", "d", "cpu", 1,
                91.2, 0.5, 1, 1.0, 0, 0, Map.of()));
        assertThrows(IllegalArgumentException.class, () -> new RunSummary("grda", "m", "d", "cpu", 1,
                0.9, Double.NaN, 1, 1.0, 0, 0, Map.of()));
        assertThrows(IllegalArgumentException.class, () -> new RunSummary(" ", "m", "d", "cpu", 1,
                0.9, 0.5, 1, 1.0, 0, 0, Map.of()));
    }
}
