package io.sparsestep.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sparsestep.store.Checkpoint;
import io.sparsestep.store.FloatTensorData;
import io.sparsestep.store.Safetensors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code sparsestep compare} on tiny synthetic data: every output of a three-method comparison,
 * a failed method in the table while the others finish, no finished method (exit 2), names and
 * options refused before anything is loaded, the same initial weights and data order for every
 * method, and a comparison taken up again (kept, resumed, started over).
 */
class CompareCommandTest {
    static final List<String> TINY = List.of("--train-samples", "300", "--test-samples", "100", "--epochs", "2", "--batch-size", "50",
            "--device", "cpu", "--no-progress");
    private static final Pattern IMAGE = Pattern.compile("src=\"data:image/png;base64,([A-Za-z0-9+/=]+)\"");

    @Test
    void threeMethodsWriteEveryOutput(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("cmp");
        CliRun run = CliRun.of(compare(out, "--methods", "grda,sgd,magnitude"));
        assertEquals(0, run.code(), run.err() + run.out());
        for (String tag : List.of("[1/3] grda (gRDA): training from the start", "[2/3] sgd (SGD): training from the start",
                "[3/3] magnitude (one-shot magnitude): training from the start")) {
            assertTrue(run.out().contains(tag), "progress line '" + tag + "':\n" + run.out());
        }
        for (String f : List.of("compare.md", "pareto.png", "layers.png", "report.html", "summary.json")) {
            assertTrue(Files.size(out.resolve(f)) > 0, f);
        }
        for (String m : List.of("grda", "sgd", "magnitude")) {
            for (String f : List.of("summary.json", "weights.safetensors", Checkpoint.FILE_NAME, "metrics.csv")) {
                assertTrue(Files.exists(out.resolve(m).resolve(f)), m + "/" + f + ": each run is a normal train run");
            }
        }

        String md = Files.readString(out.resolve("compare.md"));
        List<String> rows = md.lines().filter(l -> l.startsWith("| ") && !l.startsWith("| method")).toList();
        assertEquals(3, rows.size(), md);
        assertTrue(rows.get(0).startsWith("| gRDA | ") && rows.get(0).contains(" of 266,200 conv/linear weights (exact zeros) | "), rows.get(0));
        assertTrue(rows.get(1).startsWith("| SGD | ") && rows.get(1).contains("| 0.0000 of 266,200 conv/linear weights (exact zeros) | 266,610 of 266,610 | - |"),
                rows.get(1));
        // one-shot magnitude's default: 0.9 of the weights pruned, k = round_half_even(0.9 * 266,200) = 239,580, by its mask
        assertTrue(rows.get(2).contains("| 0.9000 of 266,200 conv/linear weights (mask) | " + String.format("%,d", 266_610 - 239_580) + " of 266,610 |"),
                rows.get(2));

        JsonNode summary = new ObjectMapper().readTree(out.resolve("summary.json").toFile());
        assertEquals(3, summary.get("runs").size());
        assertEquals(0, summary.get("failures").size());
        assertEquals(266_200, summary.get("prunable_weights").asLong());
        assertEquals(List.of("grda", "sgd", "magnitude"), summary.get("methods").findValuesAsText("method"));
        assertEquals(266_200 - 239_580, summary.get("methods").get(2).get("kept_weights").asLong());
        for (int i = 0; i < 3; i++) {
            JsonNode runSummary = new ObjectMapper().readTree(out.resolve(summary.get("methods").get(i).get("method").asText()).resolve("summary.json").toFile());
            assertEquals(runSummary.get("runs").get(0), summary.get("runs").get(i), "the comparison holds each run's own summary");
        }

        String html = Files.readString(out.resolve("report.html"));
        assertFalse(html.contains("src=\"http") || html.contains("href=\"http") || html.contains("<script"), "no external resource");
        List<byte[]> images = new ArrayList<>();
        for (Matcher m = IMAGE.matcher(html); m.find(); ) images.add(Base64.getDecoder().decode(m.group(1)));
        assertEquals(2, images.size(), "both charts embedded");
        assertArrayEquals(Files.readAllBytes(out.resolve("pareto.png")), images.get(0));
        assertArrayEquals(Files.readAllBytes(out.resolve("layers.png")), images.get(1));
        assertTrue(ImageIO.read(new ByteArrayInputStream(images.get(0))).getWidth() > 0);
        assertTrue(html.contains("<td>one-shot magnitude</td><td>" + rows.get(2).split(" \\| ")[1] + "</td>"), "the table is in the page");

        // again: every run finished with this configuration is kept, not trained again
        Map<String, FileTime> before = times(out, "grda", "sgd", "magnitude");
        CliRun again = CliRun.of(compare(out, "--methods", "grda,sgd,magnitude"));
        assertEquals(0, again.code(), again.err());
        assertEquals(3, again.out().lines().filter(l -> l.contains("finished earlier with this configuration; kept")).count(), again.out());
        assertFalse(again.out().contains(" epoch   1 "), "no epoch trained:\n" + again.out());
        assertEquals(before, times(out, "grda", "sgd", "magnitude"));
        assertEquals(md.replaceAll("Command: .*", ""), Files.readString(out.resolve("compare.md")).replaceAll("Command: .*", ""));

        // another configuration of a folder's run starts over
        List<String> longer = new ArrayList<>(List.of(compare(out, "--methods", "sgd")));
        longer.set(longer.indexOf("--epochs") + 1, "3");
        CliRun other = CliRun.of(longer.toArray(String[]::new));
        assertEquals(0, other.code(), other.err());
        assertTrue(other.out().contains("[1/1] sgd (SGD): training from the start in " + out.resolve("sgd") + " (the checkpoint in "
                + out.resolve("sgd") + " is of another configuration)"), other.out());
        assertEquals(3, Files.readAllLines(out.resolve("sgd").resolve("metrics.csv")).size() - 1, "three epochs, the old rows gone");

        // masks compare on the comparison's runs: the dense SGD mask overlaps magnitude's exactly as much as chance says
        Path similarity = dir.resolve("similarity");
        CliRun masks = CliRun.of("masks", "compare", out.resolve("grda").toString(), out.resolve("sgd").toString(),
                out.resolve("magnitude").toString(), "--out", similarity.toString());
        assertEquals(0, masks.code(), masks.err());
        List<String> csv = Files.readAllLines(similarity.resolve("jaccard.csv"));
        assertEquals(1 + 3 * 4, csv.size(), "three pairs of three layers and overall");
        String sgdMagnitude = csv.stream().filter(l -> l.startsWith("sgd,magnitude,overall,")).findFirst().orElseThrow();
        String[] cells = sgdMagnitude.split(",");
        assertEquals(Double.parseDouble(cells[10]), Double.parseDouble(cells[11]), 1e-12, sgdMagnitude);
        assertEquals(0.1, Double.parseDouble(cells[10]), 1e-4, sgdMagnitude);
    }

    @Test
    void aFailingMethodIsInTheTableWithItsReasonAndTheOthersFinish(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("cmp");
        // --prune-epoch 5 of a 2-epoch run: magnitude pruning refuses it when it is built, once the data is there
        CliRun run = CliRun.of(compare(out, "--methods", "magnitude,sgd", "--opt", "magnitude.prune-epoch=5"));
        assertEquals(0, run.code(), run.err() + run.out());
        String reason = "--prune-epoch 5 leaves no epoch to fine-tune in a run of 2 epochs; use at most 1";
        assertTrue(run.out().contains("[1/2] magnitude: failed: " + reason), run.out());
        String md = Files.readString(out.resolve("compare.md"));
        assertTrue(md.contains("| one-shot magnitude | - | - | - | - | - | - | " + reason + " |"), md);
        assertTrue(md.contains("| SGD | "), md);
        JsonNode summary = new ObjectMapper().readTree(out.resolve("summary.json").toFile());
        assertEquals(reason, summary.get("failures").get(0).get("reason").asText());
        assertEquals("failed", summary.get("methods").get(0).get("status").asText());
        assertEquals(1, summary.get("runs").size());
        assertTrue(Files.exists(out.resolve("sgd").resolve("weights.safetensors")));
    }

    @Test
    void noFinishedMethodIsExit2(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("cmp");
        String line = CliRun.of(compare(out, "--methods", "magnitude", "--opt", "magnitude.prune-epoch=2")).badInputLine();
        assertTrue(line.contains("no method finished") && line.contains("magnitude: --prune-epoch 2 leaves no epoch"), line);
        assertTrue(Files.readString(out.resolve("compare.md")).contains("--prune-epoch 2 leaves no epoch"), "the table is written anyway");
    }

    @Test
    void unknownMethodsAndOptionsAreRefusedBeforeAnythingIsLoaded(@TempDir Path dir) {
        Path out = dir.resolve("cmp");
        // the data options point at files that do not exist: had anything been loaded, that would be the complaint
        List<String> base = List.of("compare", "--dataset", "mnist", "--data-dir", dir.resolve("no-mnist").toString(), "--out", out.toString());
        Map<List<String>, String> refused = new LinkedHashMap<>();
        refused.put(List.of("--methods", "grda,foo"), "--methods: unknown method 'foo'; known: grda (gRDA), sgd (SGD)");
        refused.put(List.of("--methods", "sgd,sgd"), "--methods lists sgd twice");
        refused.put(List.of("--opt", "foo.lr=1"), "--opt foo.lr=1: unknown method 'foo'");
        refused.put(List.of("--opt", "gsm.foo=1"), "--opt gsm.foo=1: GSM has no option --foo; its options: --lr, --momentum");
        refused.put(List.of("--opt", "grda.momentum=0.9"), "--opt grda.momentum=0.9: gRDA has no option --momentum");
        refused.put(List.of("--methods", "grda,sgd", "--opt", "gsm.ratio=0.1"), "--opt gsm.ratio=0.1: gsm is not among the compared methods (grda, sgd)");
        refused.put(List.of("--opt", "gsm.ratio=2"), "gsm: --ratio must be in (0, 1]");
        refused.put(List.of("--opt", "gsm.ratio"), "--opt gsm.ratio: write METHOD.OPTION=VALUE");
        refused.put(List.of("--opt", "gsm.ratio=0.1", "--opt", "gsm.ratio=0.2"), "--opt gsm.ratio is given twice (0.1 and 0.2)");
        refused.put(List.of("--epochs", "0"), "--epochs must be positive");
        refused.put(List.of("--model", "lenet7"), "unknown model 'lenet7'");
        for (Map.Entry<List<String>, String> r : refused.entrySet()) {
            List<String> args = new ArrayList<>(base);
            args.addAll(r.getKey());
            String line = CliRun.of(args.toArray(String[]::new)).badInputLine();
            assertTrue(line.contains(r.getValue()), r.getKey() + ": " + line);
            assertFalse(Files.exists(out), r.getKey() + " created " + out);
        }
    }

    /**
     * gRDA with c = 0 is SGD without momentum, bit for bit (GrdaTest): so the two runs of one
     * comparison end with equal weights only if they started from the same weights and saw
     * the same batches in the same order.
     */
    @Test
    void everyMethodStartsFromTheSameWeightsAndDataOrder(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("cmp");
        CliRun run = CliRun.of(compare(out, "--methods", "grda,sgd", "--opt", "grda.c=0", "--opt", "sgd.momentum=0", "--opt", "sgd.lr=0.1"));
        assertEquals(0, run.code(), run.err());
        Map<String, float[]> grda = parameters(out.resolve("grda").resolve("weights.safetensors"));
        Map<String, float[]> sgd = parameters(out.resolve("sgd").resolve("weights.safetensors"));
        assertEquals(grda.keySet(), sgd.keySet());
        for (String name : grda.keySet()) io.sparsestep.testing.Bits.assertSameBits(sgd.get(name), grda.get(name), name);
        // and training moved them: the equality is not that of two untouched initialisations
        assertTrue(Files.readString(out.resolve("compare.md")).contains("| gRDA | "));
        assertFalse(Files.readString(out.resolve("grda").resolve("metrics.csv")).isBlank());
    }

    static String[] compare(Path out, String... more) {
        List<String> args = new ArrayList<>(List.of("compare"));
        args.addAll(TINY);
        args.addAll(List.of(more));
        args.addAll(List.of("--out", out.toString()));
        return args.toArray(String[]::new);
    }

    static Map<String, FileTime> times(Path out, String... methods) throws IOException {
        Map<String, FileTime> t = new LinkedHashMap<>();
        for (String m : methods) {
            for (String f : List.of("summary.json", "weights.safetensors", Checkpoint.FILE_NAME, "metrics.csv")) {
                t.put(m + "/" + f, Files.getLastModifiedTime(out.resolve(m).resolve(f)));
            }
        }
        return t;
    }

    /** The parameters of a weights file (masks left out) by name. */
    static Map<String, float[]> parameters(Path weights) throws IOException {
        Map<String, float[]> out = new LinkedHashMap<>();
        try (Arena arena = Arena.ofConfined()) {
            for (Map.Entry<String, FloatTensorData> t : Safetensors.read(weights, arena).entrySet()) {
                if (!t.getKey().startsWith("mask.")) out.put(t.getKey(), t.getValue().data().toArray(ValueLayout.JAVA_FLOAT));
            }
        }
        return out;
    }
}
