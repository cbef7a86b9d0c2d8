package io.sparsestep.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** The command line end to end: outputs of a small run, and one clear line plus exit 2 for bad input. */
class CliTest {
    private static CliRun run(String... args) {
        return CliRun.of(args);
    }

    @Test
    void trainWritesEveryOutput(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("run");
        CliRun o = run("train", "--model", "lenet300", "--dataset", "synth-digits", "--optimizer", "grda",
                "--epochs", "2", "--train-samples", "600", "--test-samples", "200", "--batch-size", "64",
                "--device", "cpu", "--no-progress", "--out", out.toString());
        assertEquals(0, o.code(), o.err());
        for (String f : List.of("metrics.csv", "summary.json", "chart.png", "weights.safetensors")) {
            assertTrue(Files.size(out.resolve(f)) > 0, f);
        }
        List<String> csv = Files.readAllLines(out.resolve("metrics.csv"));
        assertEquals(3, csv.size(), "header + one row per epoch");
        JsonNode run = new ObjectMapper().readTree(out.resolve("summary.json").toFile()).get("runs").get(0);
        assertEquals("grda", run.get("optimizer").asText());
        assertEquals("lenet300", run.get("model").asText());
        assertEquals(266610, run.get("params").asLong());
        double acc = run.get("test_accuracy").asDouble();
        assertTrue(acc > 0.2 && acc <= 1, "accuracy " + acc);
        try (var files = Files.list(out)) {
            assertTrue(files.noneMatch(p -> p.getFileName().toString().contains(".tmp")), "temporary files left behind");
        }
    }

    /** 65 = 64 + 1: the last training batch holds one image, which batch norm cannot normalise. */
    @Test
    void aLastBatchOfOneIsSkippedNotFatal(@TempDir Path dir) {
        CliRun o = run("train", "--model", "vgg16", "--dataset", "synth-digits", "--optimizer", "grda", "--epochs", "1",
                "--train-samples", "65", "--test-samples", "33", "--batch-size", "64", "--device", "cpu", "--no-progress",
                "--out", dir.toString());
        assertEquals(0, o.code(), o.err());
    }

    /**
     * 13 = 3 x 4 + 1 on VGG-16 with 28x28 inputs, whose last batch norms see 1x1 planes: the
     * skipped one-image batch still counts for the step schedule, so the lr drops at the
     * start of epoch 2 as --milestones 1 says.
     */
    @Test
    void aSkippedBatchStillAdvancesTheStepSchedule(@TempDir Path dir) throws Exception {
        CliRun o = run("train", "--model", "vgg16", "--dataset", "synth-digits", "--optimizer", "sgd", "--lr", "0.1",
                "--lr-schedule", "step", "--milestones", "1", "--epochs", "2", "--train-samples", "13", "--test-samples", "4",
                "--batch-size", "4", "--device", "cpu", "--no-progress", "--out", dir.toString());
        assertEquals(0, o.code(), o.err());
        List<String> csv = Files.readAllLines(dir.resolve("metrics.csv"));
        assertEquals(0.1, Double.parseDouble(csv.get(1).split(",")[1]), 1e-12, csv.get(1));
        assertEquals(0.01, Double.parseDouble(csv.get(2).split(",")[1]), 1e-12, csv.get(2));
    }

    /**
     * Without batch norm a batch of one is an ordinary step; VGG-16 on 28x28 inputs, whose
     * last batch norms see 1x1 planes, is refused up front in one line.
     */
    @Test
    void aBatchOfOneTrainsWithoutBatchNormAndIsRefusedWithIt(@TempDir Path dir) throws Exception {
        CliRun dense = run("train", "--model", "lenet300", "--dataset", "synth-digits", "--optimizer", "sgd", "--epochs", "1",
                "--train-samples", "20", "--test-samples", "10", "--batch-size", "1", "--device", "cpu", "--no-progress",
                "--out", dir.resolve("dense").toString());
        assertEquals(0, dense.code(), dense.err());
        JsonNode run = new ObjectMapper().readTree(dir.resolve("dense/summary.json").toFile()).get("runs").get(0);
        assertTrue(Double.isFinite(Double.parseDouble(Files.readAllLines(dir.resolve("dense/metrics.csv")).get(1).split(",")[2])),
                "a finite train loss: the 20 one-image batches were trained");
        assertEquals(1, run.get("hyperparameters").get("batch_size").asInt());

        CliRun bn = run("train", "--model", "vgg16", "--dataset", "synth-digits", "--epochs", "1", "--train-samples", "20",
                "--test-samples", "10", "--batch-size", "1", "--device", "cpu", "--no-progress", "--out", dir.resolve("bn").toString());
        assertEquals(2, bn.code(), bn.err());
        assertEquals(1, bn.err().strip().lines().count(), bn.err());
        assertTrue(bn.err().contains("batch norm needs at least 2 values per channel") && bn.err().contains("--batch-size 2"), bn.err());
    }

    @Test
    void missingDataDirIsOneLineAndExit2(@TempDir Path dir) {
        CliRun o = run("train", "--model", "lenet300", "--dataset", "mnist", "--data-dir", dir.toString(), "--device", "cpu");
        assertEquals(2, o.code());
        assertEquals(1, o.err().strip().lines().count(), o.err());
        assertTrue(o.err().contains("train-images"), o.err());
    }

    @Test
    void corruptMnistNamesTheFile(@TempDir Path dir) throws Exception {
        Files.write(dir.resolve("train-images-idx3-ubyte"), new byte[]{0, 0, 8, 3, 0, 0});
        Files.write(dir.resolve("train-labels-idx1-ubyte"), new byte[]{0, 0, 8, 1, 0, 0, 0, 0});
        Files.write(dir.resolve("t10k-images-idx3-ubyte"), new byte[]{0, 0, 8, 3, 0, 0, 0, 0});
        Files.write(dir.resolve("t10k-labels-idx1-ubyte"), new byte[]{0, 0, 8, 1, 0, 0, 0, 0});
        CliRun o = run("train", "--model", "lenet300", "--dataset", "mnist", "--data-dir", dir.toString(), "--device", "cpu");
        assertEquals(2, o.code());
        assertEquals(1, o.err().strip().lines().count(), o.err());
        assertTrue(o.err().contains("idx"), o.err());
    }

    @Test
    void badOptionsExit2() {
        assertEquals(2, run("train", "--model", "alexnet", "--device", "cpu").code());
        assertEquals(2, run("train", "--model", "lenet300", "--optimizer", "adam", "--device", "cpu").code());
        assertEquals(2, run("train", "--model", "lenet300", "--epochs", "zero").code());
        assertEquals(2, run("train", "--model", "lenet300", "--device", "tpu").code());
        assertEquals(2, run("train", "--model", "lenet300", "--dataset", "imagenet").code());
    }

    @Test
    void divergedTrainingIsReported(@TempDir Path dir) {
        CliRun o = run("train", "--model", "lenet300", "--dataset", "synth-digits", "--optimizer", "sgd", "--lr", "1e30",
                "--epochs", "1", "--train-samples", "256", "--test-samples", "64", "--device", "cpu", "--no-progress",
                "--out", dir.toString());
        assertEquals(2, o.code(), o.err());
        assertEquals(1, o.err().strip().lines().count(), o.err());
        assertTrue(o.err().contains("diverged"), o.err());
        assertTrue(o.err().contains("lr 1.000e+30") && o.err().contains("lower --lr"), o.err());
    }

    /**
     * A batch larger than both splits is cut to the larger split (one line says so), and the
     * run is then the very run of that batch size: same weights, same metrics, same summary.
     */
    @Test
    void aBatchLargerThanTheDataIsCappedAndRunsAsIfGiven(@TempDir Path dir) throws Exception {
        Path capped = dir.resolve("capped"), given = dir.resolve("given");
        CliRun a = run("train", "--model", "lenet300", "--optimizer", "grda", "--epochs", "2", "--train-samples", "300",
                "--test-samples", "100", "--batch-size", "5000", "--device", "cpu", "--no-progress", "--out", capped.toString());
        CliRun b = run("train", "--model", "lenet300", "--optimizer", "grda", "--epochs", "2", "--train-samples", "300",
                "--test-samples", "100", "--batch-size", "300", "--device", "cpu", "--no-progress", "--out", given.toString());
        assertEquals(0, a.code(), a.err());
        assertEquals(0, b.code(), b.err());
        List<String> said = (a.out() + a.err()).lines().filter(l -> l.contains("--batch-size 5000")).toList();
        assertEquals(1, said.size(), a.out() + a.err());
        assertTrue(said.getFirst().contains("using 300"), said.getFirst());
        assertFalse((b.out() + b.err()).contains("--batch-size"), "no note when the batch fits");

        assertArrayEquals(Files.readAllBytes(given.resolve("weights.safetensors")), Files.readAllBytes(capped.resolve("weights.safetensors")));
        assertEquals(withoutSeconds(given.resolve("metrics.csv")), withoutSeconds(capped.resolve("metrics.csv")));
        for (Path out : List.of(capped, given)) {
            JsonNode hyper = new ObjectMapper().readTree(out.resolve("summary.json").toFile()).get("runs").get(0).get("hyperparameters");
            assertEquals(300, hyper.get("batch_size").asInt(), out.toString());
        }
    }

    /** metrics.csv without its wall-clock column. */
    private static List<String> withoutSeconds(Path csv) throws Exception {
        List<String> lines = Files.readAllLines(csv);
        int col = List.of(lines.getFirst().split(",")).indexOf("seconds");
        assertTrue(col >= 0, lines.getFirst());
        return lines.stream().map(l -> {
            List<String> cells = new java.util.ArrayList<>(List.of(l.split(",")));
            cells.remove(col);
            return String.join(",", cells);
        }).toList();
    }

    @Test
    void cudaRequestedWithoutGpuIsOneLine() {
        org.junit.jupiter.api.Assumptions.assumeTrue(io.sparsestep.backend.cuda.CudaBackend.unavailableReason().isPresent(),
                "a GPU is present here");
        CliRun o = run("train", "--model", "lenet300", "--epochs", "1", "--train-samples", "64", "--test-samples", "64",
                "--device", "cuda");
        assertEquals(2, o.code());
        assertEquals(1, o.err().strip().lines().count(), o.err());
    }
}
