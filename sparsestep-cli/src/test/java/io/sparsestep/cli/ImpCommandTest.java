package io.sparsestep.cli;

import io.sparsestep.backend.cpu.CpuBackend;
import io.sparsestep.nn.Architecture;
import io.sparsestep.nn.Models;
import io.sparsestep.nn.Network;
import io.sparsestep.store.Checkpoint;
import io.sparsestep.train.WeightsSnapshot;
import io.sparsestep.store.FloatTensorData;
import io.sparsestep.store.Safetensors;
import io.sparsestep.train.masks.LayerMask;
import io.sparsestep.train.masks.RunMask;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code sparsestep imp} end to end on LeNet-300-100 and a few hundred synthetic digits: every
 * round's folder and the table; each round's mask is the previous round's trained weights
 * pruned by the rule (a host reference here), nested, with the pruned weights exactly 0; the
 * resets start from round 0's initial weights (the seed's own draw), its weights after K
 * steps, a fresh draw or the trained weights; a run taken up again (more rounds, a missing
 * summary, kill -9 inside a round) trains no finished round again and ends bitwise where an
 * uninterrupted run ends; bad input is one line, exit 2.
 */
class ImpCommandTest {
    private static final List<String> TINY = List.of("imp", "--model", "lenet300", "--train-samples", "600", "--test-samples", "100",
            "--batch-size", "100", "--epochs", "1", "--fraction", "0.5", "--device", "cpu", "--no-progress");
    private static final String[] LAYERS = {"fc1.weight", "fc2.weight", "fc3.weight"};

    @Test
    void aRunWritesEveryRoundWithNestedMasksPrunedFromTheTrainedWeightsAndRewindsToTheSeedsInit(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("imp");
        CliRun run = imp(out, "--rounds", "3");
        assertEquals(0, run.code(), run.err());
        for (int r = 0; r < 3; r++) {
            for (String f : List.of("weights.safetensors", "summary.json", "metrics.csv", Checkpoint.FILE_NAME)) {
                assertTrue(Files.isRegularFile(round(out, r).resolve(f)), round(out, r).resolve(f) + " is missing");
            }
        }
        List<String> csv = Files.readAllLines(out.resolve("imp.csv"));
        assertEquals("round,status,start,test_accuracy,test_loss,sparsity,kept_weights,prunable_weights,kept_params,params,seconds", csv.getFirst());
        assertEquals(4, csv.size(), String.join("\n", csv));
        // per layer half of 235,200 / 30,000 / 1,000 each round: exact, so 0, 0.5, 0.75 overall
        long[] kept = {266_200, 133_100, 66_550};
        for (int r = 0; r < 3; r++) {
            String[] f = csv.get(r + 1).split(",");
            assertEquals(List.of(Integer.toString(r), "trained"), List.of(f[0], f[1]));
            assertEquals(1 - kept[r] / 266_200.0, Double.parseDouble(f[5]), 0);
            assertEquals(List.of(Long.toString(kept[r]), "266200", Long.toString(266_610 - 266_200 + kept[r]), "266610"),
                    List.of(f[6], f[7], f[8], f[9]));
        }
        assertPng(out.resolve("imp.png"));
        assertTrue(Files.readString(out.resolve("imp.json")).contains("\"rounds_done\" : 3"));
        assertTrue(run.out().contains("| 2 | rewind to round 0's init |"), run.out());

        for (int r = 1; r < 3; r++) {
            // the mask: the previous round's mask, half of what it keeps per layer removed by its trained |w|
            Map<String, float[]> trained = tensors(round(out, r - 1).resolve("weights.safetensors"));
            RunMask before = RunMask.read(round(out, r - 1)), after = RunMask.read(round(out, r));
            for (int l = 0; l < LAYERS.length; l++) {
                BitSet prev = before.layers().get(l).kept(), now = after.layers().get(l).kept();
                assertEquals(expectedMask(trained.get(LAYERS[l]), prev, 0.5), now, "round " + r + " " + LAYERS[l]);
                BitSet grown = (BitSet) now.clone();
                grown.andNot(prev);
                assertTrue(grown.isEmpty(), "round " + r + " keeps weights round " + (r - 1) + " pruned");
            }
            assertPrunedAreZero(round(out, r).resolve("weights.safetensors"), after);
        }

        // rewind: each round starts from round 0's initial weights, which are the seed's own draw
        Map<String, float[]> seedDraw = freshDraw(dir.resolve("draw.safetensors"), 1);
        Map<String, float[]> init = tensors(round(out, 0).resolve("init.safetensors"));
        for (String name : seedDraw.keySet()) assertArrayEquals(seedDraw.get(name), init.get(name), name + ": init.safetensors is not seed 1's draw");
        assertStartsFrom(round(out, 2), init);
    }

    @Test
    void theOtherResetsStartFromTheirOwnWeights(@TempDir Path dir) throws Exception {
        Path reinit = dir.resolve("reinit");
        CliRun a = imp(reinit, "--rounds", "2", "--reset", "reinit");
        assertEquals(0, a.code(), a.err());
        Map<String, float[]> fresh = tensors(round(reinit, 1).resolve("reinit.safetensors"));
        // the round's seed: 1 + 1 * 0x9E3779B97F4A7C15
        Map<String, float[]> draw = freshDraw(dir.resolve("draw.safetensors"), 1 + 0x9E3779B97F4A7C15L);
        for (String name : draw.keySet()) assertArrayEquals(draw.get(name), fresh.get(name), name);
        assertStartsFrom(round(reinit, 1), fresh);
        Map<String, float[]> init = tensors(round(reinit, 0).resolve("init.safetensors"));
        assertTrue(differing(init.get("fc1.weight"), fresh.get("fc1.weight")) > 0.99, "a reinit draw resembles round 0's init");

        Path rewindTo = dir.resolve("rewind-to");
        CliRun b = imp(rewindTo, "--rounds", "2", "--reset", "rewind-to", "3");
        assertEquals(0, b.code(), b.err());
        Path rewind = round(rewindTo, 0).resolve("rewind.safetensors");
        assertEquals("3", Safetensors.readMetadata(rewind).get("global_step"));
        Map<String, float[]> afterThree = tensors(rewind);
        assertTrue(differing(init.get("fc1.weight"), afterThree.get("fc1.weight")) > 0.5, "the weights after 3 steps are the init's");
        assertStartsFrom(round(rewindTo, 1), afterThree);

        Path cont = dir.resolve("continue");
        CliRun c = imp(cont, "--rounds", "2", "--reset", "continue");
        assertEquals(0, c.code(), c.err());
        assertStartsFrom(round(cont, 1), tensors(round(cont, 0).resolve("weights.safetensors")));
        // the same round 0 and rule everywhere, so the same round 1 mask whatever the reset
        assertEquals(RunMask.read(round(reinit, 1)).layers().stream().map(LayerMask::kept).toList(),
                RunMask.read(round(cont, 1)).layers().stream().map(LayerMask::kept).toList());
    }

    @Test
    void aRunTakenUpAgainKeepsItsFinishedRoundsAndEndsBitwiseLikeAnUninterruptedOne(@TempDir Path dir) throws Exception {
        Path whole = dir.resolve("whole");
        assertEquals(0, imp(whole, "--rounds", "3", "--epochs", "2", "--train-samples", "2000").code());

        // killed (kill -9) inside round 1, after its first epoch's checkpoint
        Path cut = dir.resolve("cut");
        CliProcess p = CliProcess.start(dir.resolve("cut.log"), args(cut, "--rounds", "3", "--epochs", "2", "--train-samples", "2000"));
        long deadline = System.nanoTime() + 180_000_000_000L;
        while (!Files.exists(round(cut, 1).resolve(Checkpoint.FILE_NAME))) {
            assertTrue(p.process().isAlive(), "the run ended before round 1's first checkpoint:\n" + p.output());
            assertTrue(System.nanoTime() < deadline, "no checkpoint of round 1 in 3 minutes:\n" + p.output());
            Thread.sleep(1);
        }
        p.kill();
        List<Long> round0 = times(round(cut, 0));
        CliRun again = imp(cut, "--rounds", "3", "--epochs", "2", "--train-samples", "2000");
        assertEquals(0, again.code(), again.err());
        assertTrue(again.out().contains("imp: round-00: finished earlier with this configuration; kept"), again.out());
        assertTrue(again.out().contains("imp: round-01: resuming its checkpoint after epoch 1 of 2"), again.out());
        assertTrue(again.out().contains("imp: round-02: training from rewind to round 0's init"), again.out());
        assertEquals(round0, times(round(cut, 0)), "round 0 was written again");
        assertSameRounds(whole, cut, 3);

        // a finished run given more rounds trains only the new one; one whose last summary is gone trains nothing
        CliRun more = imp(cut, "--rounds", "4", "--epochs", "2", "--train-samples", "2000");
        assertEquals(0, more.code(), more.err());
        assertEquals(3, more.out().lines().filter(l -> l.contains("finished earlier with this configuration; kept")).count(), more.out());
        assertTrue(more.out().contains("imp: round-03: training from"), more.out());
        Files.delete(round(cut, 3).resolve("summary.json"));
        CliRun finish = imp(cut, "--rounds", "4", "--epochs", "2", "--train-samples", "2000");
        assertEquals(0, finish.code(), finish.err());
        assertTrue(finish.out().contains("imp: round-03: resuming its checkpoint after epoch 2 of 2"), finish.out());
        assertFalse(finish.out().contains("epoch   1"), "an epoch was trained again:\n" + finish.out());
        assertTrue(Files.isRegularFile(round(cut, 3).resolve("summary.json")));
        assertEquals(5, Files.readAllLines(cut.resolve("imp.csv")).size());
    }

    @Test
    void badInputIsOneLineAndExitTwo(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("imp");
        assertTrue(imp(out, "--fraction", "0").badInputLine().contains("--fraction must be in (0, 1)"));
        assertTrue(imp(out, "--fraction", "1.5").badInputLine().contains("--fraction must be in (0, 1)"));
        assertTrue(imp(out, "--rounds", "0").badInputLine().contains("--rounds must be >= 1"));
        assertTrue(imp(out, "--structure", "filters", "--scope", "global").badInputLine().contains("use --scope layer with it"));
        assertTrue(imp(out, "--criterion", "l2").badInputLine().contains("--criterion must be l1 or random"));
        assertTrue(imp(out, "--reset", "rewind-to").badInputLine().contains("--reset rewind-to needs a step count"));
        assertTrue(imp(out, "--reset", "sometimes").badInputLine().contains("--reset must be rewind, rewind-to K, reinit or continue"));
        assertTrue(imp(out, "--momentum", "1").badInputLine().contains("--momentum"));
        // 600 images in batches of 100: 6 steps in round 0's one epoch
        String late = imp(out, "--reset", "rewind-to", "7").badInputLine();
        assertTrue(late.contains("--reset rewind-to 7 is past the 6 training iterations of round 0"), late);
        assertFalse(Files.exists(out.resolve("imp.json")), "a refused run wrote its outputs");

        assertEquals(0, imp(out, "--rounds", "1").code());
        String other = imp(out, "--rounds", "1", "--fraction", "0.3").badInputLine();
        assertTrue(other.contains(out + " holds an IMP run of another configuration (--fraction 0.5 there, 0.3 here)"), other);
        Path foreign = dir.resolve("foreign");
        Files.createDirectories(foreign.resolve("round-00"));
        assertTrue(imp(foreign).badInputLine().contains("holds round-00 but no imp.json"));
    }

    /** TINY's command with {@code more} added, an option of TINY given again in {@code more} replacing TINY's value. */
    private static CliRun imp(Path out, String... more) {
        return CliRun.of(args(out, more).toArray(String[]::new));
    }

    private static List<String> args(Path out, String... more) {
        List<String> args = new ArrayList<>(TINY);
        for (int i = 0; i < more.length; i++) {
            int at = args.indexOf(more[i]);
            if (at > 0 && more[i].startsWith("--") && i + 1 < more.length) {
                args.set(at + 1, more[++i]);
                continue;
            }
            args.add(more[i]);
        }
        args.addAll(List.of("--out", out.toString()));
        return args;
    }

    private static Path round(Path out, int r) { return out.resolve(String.format("round-%02d", r)); }

    /** A round's start file: the kept weights are bitwise {@code source}'s, the pruned exactly +0.0, the rest (biases) {@code source}'s. */
    private static void assertStartsFrom(Path roundDir, Map<String, float[]> source) throws IOException {
        Path start = roundDir.resolve("start.safetensors");
        Map<String, float[]> t = tensors(start);
        RunMask mask = RunMask.read(start);
        assertEquals(RunMask.read(roundDir).layers().stream().map(LayerMask::kept).toList(), mask.layers().stream().map(LayerMask::kept).toList(),
                "the round trained with another mask than its start file's");
        for (String name : source.keySet()) {
            float[] want = source.get(name).clone();
            LayerMask m = mask.layers().stream().filter(l -> l.parameter().equals(name)).findFirst().orElse(null);
            if (m != null) for (int i = 0; i < want.length; i++) if (!m.kept().get(i)) want[i] = 0f;
            assertArrayEquals(bits(want), bits(t.get(name)), roundDir + " " + name);
        }
    }

    private static void assertPrunedAreZero(Path weights, RunMask mask) throws IOException {
        Map<String, float[]> t = tensors(weights);
        for (LayerMask m : mask.layers()) {
            float[] w = t.get(m.parameter());
            for (int i = 0; i < w.length; i++) {
                if (!m.kept().get(i)) assertEquals(0, Float.floatToRawIntBits(w[i]), m.parameter() + "[" + i + "] is pruned but " + w[i]);
            }
        }
    }

    /** The reference rule: keep all but round_half_even(f x kept) of the kept entries, the smallest |w| going first, ties lowest index kept. */
    private static BitSet expectedMask(float[] w, BitSet kept, double f) {
        List<Integer> order = new ArrayList<>();
        for (int i = kept.nextSetBit(0); i >= 0; i = kept.nextSetBit(i + 1)) order.add(i);
        order.sort(Comparator.<Integer>comparingDouble(i -> -Math.abs(w[i])).thenComparingInt(i -> i));
        long keep = order.size() - (long) Math.rint(f * order.size());
        BitSet out = new BitSet();
        for (int j = 0; j < keep; j++) out.set(order.get(j));
        return out;
    }

    /** The parameters a LeNet-300-100 built from {@code seed} starts with (written and read back as a weights file). */
    private static Map<String, float[]> freshDraw(Path file, long seed) throws IOException {
        int[] shape = {1, 28, 28};
        try (CpuBackend be = new CpuBackend(1);
             Network net = Network.build("lenet300", be, Models.create("lenet300", shape, 10), shape, 10, 1, seed)) {
            WeightsSnapshot.write(net, Architecture.defaults("lenet300"), null, file, Map.of());
        }
        return tensors(file);
    }

    private static Map<String, float[]> tensors(Path file) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            Map<String, float[]> out = new java.util.LinkedHashMap<>();
            for (Map.Entry<String, FloatTensorData> e : Safetensors.read(file, arena).entrySet()) {
                if (!e.getKey().startsWith("mask.")) out.put(e.getKey(), e.getValue().data().toArray(ValueLayout.JAVA_FLOAT));
            }
            return out;
        }
    }

    private static int[] bits(float[] w) {
        int[] out = new int[w.length];
        for (int i = 0; i < w.length; i++) out[i] = Float.floatToRawIntBits(w[i]);
        return out;
    }

    private static double differing(float[] a, float[] b) {
        int n = 0;
        for (int i = 0; i < a.length; i++) if (Float.floatToRawIntBits(a[i]) != Float.floatToRawIntBits(b[i])) n++;
        return (double) n / a.length;
    }

    private static void assertPng(Path png) throws IOException {
        byte[] head = Arrays.copyOf(Files.readAllBytes(png), 4);
        assertArrayEquals(new byte[]{(byte) 0x89, 'P', 'N', 'G'}, head, png + " is not a PNG");
    }

    private static List<Long> times(Path dir) throws IOException {
        List<Long> out = new ArrayList<>();
        try (var files = Files.list(dir)) {
            for (Path f : files.sorted().toList()) if (!f.getFileName().toString().startsWith(".")) out.add(Files.getLastModifiedTime(f).toMillis());
        }
        return out;
    }

    private static void assertSameRounds(Path whole, Path cut, int rounds) throws IOException {
        for (int r = 0; r < rounds; r++) {
            for (String f : List.of("weights.safetensors", "start.safetensors", "init.safetensors")) {
                Path a = round(whole, r).resolve(f), b = round(cut, r).resolve(f);
                if (!Files.exists(a)) continue;
                assertArrayEquals(Files.readAllBytes(a), Files.readAllBytes(b), "round " + r + " " + f);
            }
            assertEquals(CliProcess.untimedMetrics(round(whole, r).resolve("metrics.csv")), CliProcess.untimedMetrics(round(cut, r).resolve("metrics.csv")),
                    "round " + r + " metrics");
        }
    }
}
