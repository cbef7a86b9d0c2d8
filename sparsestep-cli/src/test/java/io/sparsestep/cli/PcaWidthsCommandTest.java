package io.sparsestep.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sparsestep.nn.Architecture;
import io.sparsestep.store.FloatTensorData;
import io.sparsestep.train.io.RunSummary;
import io.sparsestep.store.Safetensors;
import io.sparsestep.train.io.SummaryJson;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code pca-widths} on a trained LeNet-300-100 whose fc1 keeps only 6 live neurons (the other
 * 294 rows zeroed with bias 0.5: constant activations), so fc1's activations span 6
 * dimensions: fc1's width is 6, the live neurons are the ones kept, the written file is an
 * architecture that --widths reads, and --retrain trains it.
 */
class PcaWidthsCommandTest {
    private static final int LIVE = 6;
    @TempDir
    static Path dir;
    private static Path rank6;

    @BeforeAll
    static void trainAndCut() throws IOException {
        Path run = dir.resolve("run");
        CliRun t = CliRun.of("train", "--model", "lenet300", "--method", "sgd", "--epochs", "1", "--train-samples", "300", "--test-samples", "100",
                "--batch-size", "50", "--device", "cpu", "--no-progress", "--out", run.toString());
        assertEquals(0, t.code(), t.err());
        rank6 = Files.createDirectories(dir.resolve("rank6"));
        Files.copy(run.resolve("checkpoint.safetensors"), rank6.resolve("checkpoint.safetensors"));
        try (Arena arena = Arena.ofConfined()) {
            Path weights = run.resolve("weights.safetensors");
            LinkedHashMap<String, FloatTensorData> w = Safetensors.read(weights, arena);
            MemorySegment fc1 = w.get("fc1.weight").data(), bias = w.get("fc1.bias").data();
            fc1.asSlice(4L * LIVE * 784).fill((byte) 0);
            for (int j = LIVE; j < 300; j++) bias.setAtIndex(ValueLayout.JAVA_FLOAT, j, 0.5f);
            Safetensors.write(rank6.resolve("weights.safetensors"), w, Safetensors.readMetadata(weights));
        }
    }

    @Test
    void activationsOfRankSixGiveFc1WidthSixAndTheSpecRoundTrips() throws IOException {
        Path spec = dir.resolve("widths.json"), retrained = dir.resolve("retrained");
        CliRun r = CliRun.of("pca-widths", "--from", rank6.toString(), "--samples", "300", "--variance", "0.999999", "--out", spec.toString(),
                "--retrain", "scratch-e", "--retrain-out", retrained.toString(), "--device", "cpu", "--no-progress");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("fc1                        300 ->     6"), r.out());
        Architecture a = Architecture.read(spec);
        assertEquals("lenet300", a.model());
        assertEquals(LIVE, a.width("fc1"));
        assertEquals(a, Architecture.resolve(spec.toString()), "what --widths reads");
        assertEquals(a, Architecture.fromJson(a.toJson(), "again"));
        JsonNode report = new ObjectMapper().readTree(dir.resolve("widths-report.json").toFile());
        JsonNode fc1 = report.get("layers").get(0);
        assertEquals("fc1", fc1.get("layer").asText());
        assertEquals(List.of(0, 1, 2, 3, 4, 5), new ObjectMapper().convertValue(fc1.get("kept_units"), List.class), "the live neurons are kept");
        // the retrained run has those widths
        RunSummary s = SummaryJson.read(retrained.resolve("summary.json")).getFirst();
        Map<?, ?> p = (Map<?, ?>) s.hyperparameters().get("retrain");
        assertEquals("scratch-e", p.get("mode"));
        assertTrue(p.get("widths_from").toString().startsWith("pca-widths " + spec.toAbsolutePath()), p.toString());
        assertEquals(a.toCompactJson(), Safetensors.readMetadata(retrained.resolve("weights.safetensors")).get("architecture"));
        int fc2 = a.width("fc2");
        assertEquals(784L * 6 + 6 + 6L * fc2 + fc2 + fc2 * 10L + 10, s.params(), "fc1 784*6+6, fc2 6*w+w, fc3 w*10+10");
    }

    @Test
    void theWidthFallsAsTheVarianceShareFalls() throws IOException {
        int previous = Integer.MAX_VALUE;
        for (String v : new String[] {"0.999999", "0.9", "0.5"}) {
            Path spec = dir.resolve("v" + v + ".json");
            CliRun r = CliRun.of("pca-widths", "--from", rank6.toString(), "--samples", "200", "--variance", v, "--out", spec.toString(), "--device", "cpu");
            assertEquals(0, r.code(), r.err());
            int w = Architecture.read(spec).width("fc2");
            assertTrue(w <= previous, "fc2 at v = " + v + ": " + w + " > " + previous);
            previous = w;
        }
    }

    @Test
    void connectionsMaskTheDroppedUnitsAndTheLeastImportantInputsAndRetrainReadsTheMask() throws IOException {
        Path spec = dir.resolve("c.json");
        CliRun r = CliRun.of("pca-widths", "--from", rank6.toString(), "--samples", "300", "--variance", "0.9", "--out", spec.toString(),
                "--device", "cpu");
        assertEquals(0, r.code(), r.err());
        Path masked = dir.resolve("c-connections.safetensors");
        assertTrue(r.out().contains("wrote " + masked), r.out());
        Architecture a = Architecture.read(spec);
        io.sparsestep.train.masks.RunMask m = io.sparsestep.train.masks.RunMask.read(masked);
        java.util.BitSet fc1 = m.layers().get(0).kept(), fc2 = m.layers().get(1).kept();
        // fc1 keeps its PCA width of the live units: every other row is masked whole, and inside the kept rows some inputs go
        List<?> units = new ObjectMapper().convertValue(new ObjectMapper().readTree(dir.resolve("c-report.json").toFile()).get("layers").get(0)
                .get("kept_units"), List.class);
        assertEquals(a.width("fc1"), units.size());
        int pruned = 0;
        for (int j = 0; j < 300; j++) {
            int keptInRow = fc1.get(j * 784, (j + 1) * 784).cardinality();
            if (!units.contains(j)) assertEquals(0, keptInRow, "dropped unit " + j);
            else {
                assertTrue(keptInRow > 0 && keptInRow <= 784, "unit " + j + " keeps " + keptInRow);
                pruned += 784 - keptInRow;
            }
        }
        assertTrue(pruned > 0, "the least important connections of the kept units go at v = 0.9");
        // fc2 reads fc1: the columns of fc1's dropped units are masked in every row; its own dropped units' rows too
        int fc2Width = a.width("fc2");
        for (int j = 0; j < 100; j++) {
            for (int i = 0; i < 300; i++) if (!units.contains(i)) assertFalse(fc2.get(j * 300 + i), "fc2 " + j + " <- dropped fc1 unit " + i);
        }
        long liveRows = java.util.stream.IntStream.range(0, 100).filter(j -> fc2.get(j * 300, (j + 1) * 300).cardinality() > 0).count();
        assertEquals(fc2Width, liveRows, "fc2 keeps its PCA width of units");
        // the masked weights are exactly 0 in the file, and retrain trains under the mask
        CliRun t = CliRun.of("retrain", "--from", masked.toString(), "--mode", "finetune", "--epochs", "1", "--device", "cpu", "--no-progress",
                "--out", dir.resolve("conn-finetune").toString());
        assertEquals(0, t.code(), t.err());
        assertEquals(m.kept(), io.sparsestep.train.masks.RunMask.read(dir.resolve("conn-finetune")).kept(), "the same mask, held fixed");
        CliRun none = CliRun.of("pca-widths", "--from", rank6.toString(), "--samples", "100", "--connections", "none", "--out",
                dir.resolve("n.json").toString(), "--device", "cpu");
        assertEquals(0, none.code(), none.err());
        assertFalse(Files.exists(dir.resolve("n-connections.safetensors")));
    }

    @Test
    void badInputIsOneLine() {
        assertTrue(CliRun.of("pca-widths", "--from", rank6.toString(), "--variance", "0").badInputLine().contains("--variance must be in (0, 1]"));
        assertTrue(CliRun.of("pca-widths", "--from", rank6.toString(), "--retrain", "finetune").badInputLine().contains("scratch-e or scratch-b"));
        assertTrue(CliRun.of("pca-widths", "--from", dir.resolve("none").toString()).badInputLine().contains("no such folder or file"));
        assertTrue(CliRun.of("pca-widths", "--from", rank6.toString(), "--connections", "some").badInputLine().contains("use prune or none"));
        assertTrue(CliRun.of("pca-widths", "--from", rank6.toString(), "--out", dir.resolve("w.txt").toString()).badInputLine().contains("ends in .json"));
    }
}
