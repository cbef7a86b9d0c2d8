package io.sparsestep.cli;

import io.sparsestep.nn.Architecture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Network slimming end to end: a VGG-16 narrowed to 8 channels a layer (104 batch-norm
 * channels, --widths) trains with the BN-scale penalty, prunes half of the channels at the
 * end of epoch 1 (global threshold, strict >) and fine-tunes; {@code shrink} then removes the
 * pruned channels (their scale, shift and feeding filter are exactly 0, so the constant they
 * leave is 0 and every consumer drops them), and the smaller network computes the masked
 * one's function: the same test loss and accuracy under {@code eval}, logits within float
 * rounding on a batch under {@code bench --inference}.
 */
class SlimmingShrinkCliTest {
    private static final String[] DATA = {"--dataset", "synth-cifar", "--train-samples", "200", "--test-samples", "100", "--device", "cpu"};
    private static final Pattern EVAL = Pattern.compile("test loss ([0-9.]+), test accuracy ([0-9.]+)");

    @TempDir
    Path dir;

    /** A command with the data options after it. */
    private static String[] withData(String... a) {
        String[] all = java.util.Arrays.copyOf(a, a.length + DATA.length);
        System.arraycopy(DATA, 0, all, a.length, DATA.length);
        return all;
    }

    private static String lossAndAccuracy(CliRun eval) {
        assertEquals(0, eval.code(), eval.err());
        Matcher m = EVAL.matcher(eval.out());
        assertTrue(m.find(), eval.out());
        return m.group(1) + " " + m.group(2);
    }

    @Test
    void slimmingsPrunedChannelsShrinkAwayAndTheFunctionStays() throws IOException {
        Architecture full = Architecture.defaults("vgg16");
        Map<String, Integer> eight = new LinkedHashMap<>();
        for (String layer : full.widths().keySet()) if (layer.startsWith("conv")) eight.put(layer, 8);
        Architecture narrow = full.with(eight);
        Path arch = Files.writeString(dir.resolve("narrow.json"), narrow.toJson());
        Path run = dir.resolve("run");
        CliRun train = CliRun.of(withData("train", "--widths", arch.toString(), "--method", "slimming", "--epochs", "2",
                "--prune-epoch", "1", "--percent", "0.5", "--penalty", "1e-3", "--batch-size", "50", "--no-progress", "--out", run.toString()));
        assertEquals(0, train.code(), train.err());

        Path small = dir.resolve("small");
        CliRun shrink = CliRun.of("shrink", run.toString(), "--out", small.toString());
        assertEquals(0, shrink.code(), shrink.err());
        Architecture after = Architecture.read(small.resolve("architecture.json"));
        int removed = 0;
        for (Map.Entry<String, Integer> e : eight.entrySet()) {
            int w = after.width(e.getKey());
            assertTrue(w >= 1 && w <= 8, e.getKey() + " " + w);
            removed += 8 - w;
        }
        // thr = sorted|gamma|[int(104 * 0.5)] = the 53rd smallest, kept when strictly above: at most 51 of 104 stay
        assertTrue(removed >= 53, "slimming pruned at least 53 of 104 channels and the shrink removed them all: " + shrink.out());
        assertTrue(shrink.out().contains(removed + " of 104 filters removed"), shrink.out());
        assertTrue(!shrink.out().contains("zero filters must stay") && !shrink.out().contains("kept "), shrink.out());

        String masked = lossAndAccuracy(CliRun.of(withData("eval", "--weights", run.resolve("weights.safetensors").toString())));
        String shrunk = lossAndAccuracy(CliRun.of(withData("eval", "--weights", small.resolve("weights.safetensors").toString())));
        assertEquals(masked, shrunk);

        CliRun bench = CliRun.of("bench", "--inference", run.toString(), "--shrunk", small.toString(), "--batch", "4", "--repeats", "1",
                "--device", "cpu");
        assertEquals(0, bench.code(), bench.err());
        Matcher d = Pattern.compile("largest \\|logit difference\\| on the batch ([0-9.eE+-]+)").matcher(bench.out());
        assertTrue(d.find(), bench.out());
        assertTrue(Double.parseDouble(d.group(1)) < 1e-4, bench.out());
    }
}
