package io.sparsestep.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code experiment prune-retrain} end to end at its tiny sizes: the files at the top of --out,
 * the tables' rows, IMP's rounds at (1 - f)^r density by torch's rounding, every run an
 * ordinary run folder, a rerun that trains nothing again, and bad options in one line.
 */
class ExperimentCommandTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static CliRun experiment(Path out, String... more) {
        List<String> a = new ArrayList<>(List.of("experiment", "prune-retrain", "--device", "cpu", "--no-progress", "--out", out.toString()));
        a.addAll(List.of(more));
        if (!a.contains("--size")) a.addAll(List.of("--size", "tiny"));
        return CliRun.of(a.toArray(String[]::new));
    }

    @Test
    void lenet300WritesItsTablesChartsAndRunFoldersAndARerunReusesThem(@TempDir Path dir) throws IOException {
        Path out = dir.resolve("exp");
        CliRun r = experiment(out, "--model", "lenet300");
        assertEquals(0, r.code(), r.err());
        for (String f : List.of("experiment.md", "experiment.json", "imp.png", "masks.png")) assertTrue(Files.size(out.resolve(f)) > 0, f);
        assertFalse(Files.exists(out.resolve("retrain.png")), "LeNet-300-100 has no Rethinking part");
        JsonNode json = JSON.readTree(out.resolve("experiment.json").toFile());
        assertEquals("finished", json.get("status").asText());

        // 3 rounds of 0.5 per layer: fc1 235,200, fc2 30,000, fc3 1,000 halve exactly, so kept = 266,200 x 0.5^r
        for (String reset : List.of("rewind", "reinit")) {
            JsonNode rounds = json.get("imp").get(reset);
            assertEquals(3, rounds.size(), reset);
            for (int k = 0; k < 3; k++) {
                JsonNode round = rounds.get(k);
                assertEquals(266_200L >> k, round.get("kept_weights").asLong(), reset + " round " + k);
                assertEquals(1 - Math.pow(0.5, k), round.get("sparsity").asDouble(), 1e-12, reset + " round " + k);
                assertTrue(Files.isRegularFile(out.resolve("imp-" + reset).resolve(round.get("folder").asText()).resolve("weights.safetensors")));
            }
        }
        String md = Files.readString(out.resolve("experiment.md"));
        assertTrue(md.contains("| 2 | 0.7500 | 66,550 | "), md);
        // four masks: six pairs, each with its overall row; GSM and GMP at the target exactly
        List<String> overall = md.lines().filter(l -> l.matches("\\| \\S+ vs \\S+ \\| overall \\|.*")).toList();
        assertEquals(6, overall.size(), md);
        assertTrue(md.contains("| gmp vs imp-rewind | overall | 266,200 | 66,550 | 66,550 |"), md);
        assertEquals(0.75, json.get("masks").get("sparsity").get("gsm").asDouble(), 0);
        assertEquals(0.75, json.get("masks").get("sparsity").get("gmp").asDouble(), 0);
        assertTrue(json.get("masks").get("sparsity").get("grda").asDouble() > 0, "gRDA's zeros are its mask");

        // a rerun keeps every run: nothing trained, the weights untouched
        Path grda = out.resolve("masks").resolve("grda").resolve("weights.safetensors");
        FileTime before = Files.getLastModifiedTime(grda);
        CliRun again = experiment(out, "--model", "lenet300");
        assertEquals(0, again.code(), again.err());
        assertFalse(again.out().contains("training from"), again.out());
        assertEquals(6 + 3, again.out().lines().filter(l -> l.contains("finished earlier with this configuration; kept")).count(), again.out());
        assertEquals(before, Files.getLastModifiedTime(grda));
        assertEquals(md.replaceAll(", \\d+ s\n", "\n"), Files.readString(out.resolve("experiment.md")).replaceAll(", \\d+ s\n", "\n"),
                "the same tables");

        // a run killed after its last checkpoint but before its summary resumes from the checkpoint; the rest stays kept
        Files.delete(out.resolve("masks").resolve("gsm").resolve("summary.json"));
        CliRun resumed = experiment(out, "--model", "lenet300");
        assertEquals(0, resumed.code(), resumed.err());
        assertTrue(resumed.out().contains("gsm (GSM): resuming its checkpoint after epoch 3 of 3"), resumed.out());
        assertFalse(resumed.out().contains("training from"), resumed.out());
        assertEquals(md.replaceAll(", \\d+ s\n", "\n"), Files.readString(out.resolve("experiment.md")).replaceAll(", \\d+ s\n", "\n"));

        // the same --out with other options is refused before anything runs
        String refused = experiment(out, "--model", "lenet300", "--seed", "2").badInputLine();
        assertTrue(refused.contains("holds a prune-retrain experiment of other options (--seed 1 there, 2 here)"), refused);
    }

    @Test
    void resnet20AddsTheRethinkingPart(@TempDir Path dir) throws IOException {
        Path out = dir.resolve("exp");
        CliRun r = experiment(out, "--model", "resnet20");
        assertEquals(0, r.code(), r.err());
        assertTrue(Files.size(out.resolve("retrain.png")) > 0);
        JsonNode runs = JSON.readTree(out.resolve("experiment.json").toFile()).get("rethinking").get("runs");
        assertEquals(List.of("L1 filter pruning", "finetune", "scratch-e", "scratch-b"), names(runs));
        for (String mode : List.of("finetune", "scratch-e", "scratch-b")) {
            JsonNode block = JSON.readTree(out.resolve("rethinking").resolve(mode).resolve("summary.json").toFile()).get("runs").get(0)
                    .get("hyperparameters").get("retrain");
            assertEquals(mode, block.get("mode").asText());
            assertTrue(block.get("from").asText().contains("l1-small"), "retrained from the shrunk run: " + block);
        }
        // the retrains keep the shrunk structure's parameters, fewer than the L1 run's dense count
        assertTrue(runs.get(1).get("parameters").asLong() < runs.get(0).get("parameters").asLong(), runs.toString());
        assertEquals(runs.get(1).get("macs").asLong(), runs.get(3).get("macs").asLong(), "one structure, one cost");
        assertTrue(Files.readString(out.resolve("experiment.md")).contains("| scratch-b | trained | "));
    }

    @Test
    void badOptionsAreOneLine(@TempDir Path dir) {
        String model = experiment(dir.resolve("a"), "--model", "lenet5").badInputLine();
        assertTrue(model.contains("--model lenet5") && model.contains("lenet300 and resnet20"), model);
        String size = experiment(dir.resolve("b"), "--model", "lenet300", "--size", "huge").badInputLine();
        assertTrue(size.contains("--size huge"), size);
        assertFalse(Files.exists(dir.resolve("a")) || Files.exists(dir.resolve("b")), "nothing written");
    }

    private static List<String> names(JsonNode runs) {
        List<String> out = new ArrayList<>();
        runs.forEach(n -> out.add(n.get("run").asText()));
        return out;
    }
}
