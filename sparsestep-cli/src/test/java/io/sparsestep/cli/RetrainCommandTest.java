package io.sparsestep.cli;

import io.sparsestep.backend.cpu.CpuBackend;
import io.sparsestep.nn.Architecture;
import io.sparsestep.train.FreshInit;
import io.sparsestep.store.FloatTensorData;
import io.sparsestep.train.io.RunSummary;
import io.sparsestep.store.Safetensors;
import io.sparsestep.train.io.SummaryJson;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code retrain} end to end on a one-shot magnitude-pruned LeNet-300-100 (half its weights,
 * 2 epochs of 300 generated digits) and on a shrunk L1-filter-pruned LeNet-5: each mode
 * writes an ordinary run folder with the mask's zeros still exactly zero and its provenance
 * in summary.json; scratch modes start from a fresh initialisation; bad input is one line.
 */
class RetrainCommandTest {
    private static final String[] DATA = {"--train-samples", "300", "--test-samples", "150", "--batch-size", "50"};
    @TempDir
    static Path dir;
    private static Path pruned;

    @BeforeAll
    static void prune() {
        pruned = dir.resolve("pruned");
        CliRun r = CliRun.of(with(DATA, "train", "--model", "lenet300", "--method", "magnitude", "--sparsity", "0.5", "--epochs", "2",
                "--device", "cpu", "--no-progress", "--out", pruned.toString()));
        assertEquals(0, r.code(), r.err());
    }

    private static String[] with(String[] tail, String... head) {
        String[] all = java.util.Arrays.copyOf(head, head.length + tail.length);
        System.arraycopy(tail, 0, all, head.length, tail.length);
        return all;
    }

    private static CliRun retrain(String... args) {
        return CliRun.of(with(args, "retrain", "--device", "cpu", "--no-progress"));
    }

    private static Map<?, ?> provenance(Path run) throws IOException {
        RunSummary s = SummaryJson.read(run.resolve("summary.json")).getFirst();
        return (Map<?, ?>) s.hyperparameters().get("retrain");
    }

    /** The source's mask and its weights: every entry it prunes is +0.0 in {@code run}, and {@code run} holds the same mask. */
    private static void assertMaskKept(Path run) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            LinkedHashMap<String, FloatTensorData> source = Safetensors.read(pruned.resolve("weights.safetensors"), arena);
            LinkedHashMap<String, FloatTensorData> after = Safetensors.read(run.resolve("weights.safetensors"), arena);
            long zeros = 0;
            for (String layer : List.of("fc1.weight", "fc2.weight", "fc3.weight")) {
                FloatTensorData m = source.get("mask.prune." + layer), w = after.get(layer), m2 = after.get("mask.prune." + layer);
                for (long i = 0; i < m.elements(); i++) {
                    float keep = m.data().getAtIndex(ValueLayout.JAVA_FLOAT, i);
                    assertEquals(keep, m2.data().getAtIndex(ValueLayout.JAVA_FLOAT, i), run + " " + layer + " mask entry " + i);
                    if (keep == 0) {
                        zeros++;
                        assertEquals(0, Float.floatToRawIntBits(w.data().getAtIndex(ValueLayout.JAVA_FLOAT, i)), run + " " + layer + " pruned entry " + i);
                    }
                }
            }
            assertEquals(133_100, zeros, "round_half_even(0.5 * 266,200) pruned");
        }
    }

    @Test
    void eachModeWritesARunFolderUnderTheMask() throws IOException {
        Map<String, Integer> epochs = Map.of("finetune", 1, "scratch-e", 2, "scratch-b", 2);
        for (String mode : List.of("finetune", "scratch-e", "scratch-b")) {
            Path out = dir.resolve(mode);
            CliRun r = mode.equals("finetune") ? retrain("--from", pruned.toString(), "--mode", mode, "--epochs", "1", "--out", out.toString())
                    : mode.equals("scratch-b") ? retrain("--from", pruned.toString(), "--mode", mode, "--base-epochs", "1", "--out", out.toString())
                    : retrain("--from", pruned.toString(), "--mode", mode, "--out", out.toString());
            assertEquals(0, r.code(), mode + ": " + r.err());
            Map<?, ?> p = provenance(out);
            assertEquals(mode, p.get("mode"));
            assertEquals(epochs.get(mode), p.get("epochs"), mode);
            assertEquals(pruned.resolve("weights.safetensors").toAbsolutePath().toString(), p.get("from"));
            assertEquals(epochs.get(mode) + 1, Files.readAllLines(out.resolve("metrics.csv")).size(), mode + ": a row per epoch");
            assertMaskKept(out);
            assertTrue(r.out().contains("retrain " + mode + " of "), r.out());
        }
        // scratch-b: int(1 * 266,200 / 133,100) = 2 epochs, the lr dropped after int(0.5 * 2) = 1
        assertEquals(List.of(1), provenance(dir.resolve("scratch-b")).get("milestones"));
        assertEquals(266_200, ((Number) provenance(dir.resolve("scratch-b")).get("macs_full")).intValue());
        assertEquals(133_100, ((Number) provenance(dir.resolve("scratch-b")).get("macs_pruned")).intValue());
        // an ordinary run: eval and masks compare read it
        CliRun eval = CliRun.of("eval", "--weights", dir.resolve("finetune").resolve("weights.safetensors").toString(), "--test-samples", "150",
                "--device", "cpu");
        assertEquals(0, eval.code(), eval.err());
        CliRun masks = CliRun.of("masks", "compare", pruned.toString(), dir.resolve("scratch-e").toString(), "--out", dir.resolve("jaccard").toString());
        assertEquals(0, masks.code(), masks.err());
        assertTrue(masks.out().matches("(?s).*overall\\s+266,200\\s+0\\.5000\\s+0\\.5000\\s+1\\.0000.*"), masks.out());
    }

    @Test
    void scratchStartsFromAFreshInitialisationOfTheSameArchitecture() throws IOException {
        Path out = dir.resolve("fresh");
        CliRun r = retrain("--from", pruned.toString(), "--mode", "scratch-e", "--base-epochs", "1", "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        Path ownInit = dir.resolve("own-init.safetensors");
        try (CpuBackend be = new CpuBackend(1)) {
            // the weights the pruned run itself started from: its seed (1) on the same architecture
            FreshInit.write(be, Architecture.defaults("lenet300"), "synth-digits", 1, ownInit);
        }
        try (Arena arena = Arena.ofConfined()) {
            LinkedHashMap<String, FloatTensorData> init = Safetensors.read(out.resolve("init.safetensors"), arena);
            LinkedHashMap<String, FloatTensorData> own = Safetensors.read(ownInit, arena);
            LinkedHashMap<String, FloatTensorData> trained = Safetensors.read(pruned.resolve("weights.safetensors"), arena);
            assertEquals(own.keySet(), init.keySet(), "the same tensors");
            for (String name : own.keySet()) assertEquals(java.util.Arrays.toString(own.get(name).shape()), java.util.Arrays.toString(init.get(name).shape()), name);
            FloatTensorData w = init.get("fc1.weight");
            assertFalse(same(w, own.get("fc1.weight")), "not the pruned run's own initial weights (a winning-ticket rewind)");
            assertFalse(same(w, trained.get("fc1.weight")), "not the pruned weights");
        }
        assertNotEquals(null, provenance(out).get("init"));
        assertTrue(provenance(out).get("init").toString().startsWith("fresh, seed 2"), provenance(out).toString());
    }

    @Test
    void aShrunkStructureRetrainsWithItsWidthsAndTheRecipeOfTheRunItCameFrom() throws IOException {
        Path filters = dir.resolve("filters"), small = dir.resolve("small"), out = dir.resolve("small-scratch-e");
        CliRun t = CliRun.of(with(DATA, "train", "--model", "lenet5", "--method", "l1-filter", "--ratio", "0.5", "--prune-epoch", "0",
                "--epochs", "1", "--device", "cpu", "--no-progress", "--out", filters.toString()));
        assertEquals(0, t.code(), t.err());
        CliRun s = CliRun.of("shrink", filters.toString(), "--out", small.toString());
        assertEquals(0, s.code(), s.err());
        CliRun r = retrain("--from", small.toString(), "--mode", "scratch-b", "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        Map<?, ?> p = provenance(out);
        assertEquals(filters.resolve("checkpoint.safetensors").toAbsolutePath().toString(), p.get("recipe_from"));
        assertEquals(Map.of("conv1", 10, "conv2", 25, "fc1", 500), p.get("architecture"));
        // 1 epoch * 2,293,000 / (25*1*10*576 + 25*10*25*64 + 400*500 + 500*10) = int(2,293,000 / 749,000) = int(3.06) = 3
        assertEquals(749_000, ((Number) p.get("macs_pruned")).intValue());
        assertEquals(3, p.get("epochs"));
        assertEquals(Architecture.read(small.resolve("architecture.json")).toCompactJson(),
                Safetensors.readMetadata(out.resolve("weights.safetensors")).get("architecture"));
    }

    private static boolean same(FloatTensorData a, FloatTensorData b) {
        for (long i = 0; i < a.elements(); i++) {
            if (a.data().getAtIndex(ValueLayout.JAVA_FLOAT, i) != b.data().getAtIndex(ValueLayout.JAVA_FLOAT, i)) return false;
        }
        return true;
    }

    @Test
    void badInputIsOneLineAndExitTwo() throws IOException {
        Path nowhere = dir.resolve("nowhere");
        assertTrue(retrain("--from", nowhere.toString(), "--mode", "finetune").badInputLine().contains("no such folder or file"));
        Path empty = Files.createDirectories(dir.resolve("empty"));
        assertTrue(retrain("--from", empty.toString(), "--mode", "finetune").badInputLine().contains("no weights.safetensors"));
        assertTrue(retrain("--from", pruned.toString(), "--mode", "scratch").badInputLine().contains("finetune, scratch-e, scratch-b"));
        assertTrue(retrain("--from", pruned.toString(), "--mode", "finetune", "--out", pruned.toString()).badInputLine().contains("choose another --out"));
        assertTrue(retrain("--from", pruned.toString(), "--mode", "scratch-e", "--epochs", "3", "--out", dir.resolve("x").toString())
                .badInputLine().startsWith("sparsestep: --epochs is finetune's"));
        Path foreign = Files.createDirectories(dir.resolve("foreign"));
        Files.writeString(foreign.resolve("weights.safetensors"), "not a safetensors file");
        assertTrue(retrain("--from", foreign.toString(), "--mode", "finetune").badInputLine().contains(foreign.toString()));
        // a mask of another model: training LeNet-5 under LeNet-300-100's mask
        String line = CliRun.of(with(DATA, "train", "--model", "lenet5", "--method", "fixed-mask", "--mask-from", pruned.toString(), "--epochs", "1",
                "--device", "cpu", "--out", dir.resolve("wrong").toString())).badInputLine();
        assertTrue(line.contains("is it a mask of another model"), line);
        assertFalse(Files.exists(dir.resolve("x")) || Files.exists(dir.resolve("wrong").resolve("metrics.csv")), "nothing written");
    }
}
