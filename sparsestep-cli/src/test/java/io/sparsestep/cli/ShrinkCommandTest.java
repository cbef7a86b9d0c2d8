package io.sparsestep.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.sparsestep.nn.Architecture;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code shrink} on a trained LeNet-5 whose conv2 filters 0-19 and fc1 rows 0-99 were set
 * to zero afterwards (their biases stay, so the channels are constants the shrink folds):
 * the smaller network evaluates to the same accuracy, trains on with --widths/--init-from,
 * and bad input is one line.
 */
class ShrinkCommandTest {
    private static final String[] DATA = {"--train-samples", "300", "--test-samples", "200", "--device", "cpu"};
    @TempDir
    static Path dir;
    private static Path run, masked;

    @BeforeAll
    static void trainAndZero() throws IOException {
        ZeroedLeNet z = ZeroedLeNet.train(dir, DATA);
        run = z.run();
        masked = z.masked();
    }

    private static String[] args(String... a) {
        String[] all = java.util.Arrays.copyOf(a, a.length + DATA.length);
        System.arraycopy(DATA, 0, all, a.length, DATA.length);
        return all;
    }

    private static String accuracy(String evalOut) {
        Matcher m = Pattern.compile("test accuracy ([0-9.]+)").matcher(evalOut);
        assertTrue(m.find(), evalOut);
        return m.group(1);
    }

    @Test
    void theShrunkRunEvaluatesAlikeAndTrainsOn() throws IOException {
        Path small = dir.resolve("small");
        CliRun shrink = CliRun.of("shrink", masked.toString(), "--out", small.toString());
        assertEquals(0, shrink.code(), shrink.err());
        // by hand: conv2 30*20*25+30, fc1 (30*16)*400+400, conv1 520, fc2 4010; MACs 25*20*24*24 + 25*20*30*8*8 + 480*400 + 400*10
        assertTrue(shrink.out().contains("120 of 570 filters removed from 2 layers"), shrink.out());
        assertTrue(shrink.out().contains("  conv2 50 -> 30\n  fc1 500 -> 400\n"), shrink.out());
        assertTrue(shrink.out().contains("parameters 431,080 -> 211,960 (-50.8%)"), shrink.out());
        assertTrue(shrink.out().contains("(MACs, conv and linear layers) 2,293,000 -> 1,444,000 (-37.0%); FLOPs (2 per multiply-add) 4,586,000 -> 2,888,000"),
                shrink.out());
        Architecture arch = Architecture.read(small.resolve("architecture.json"));
        assertEquals(Architecture.defaults("lenet5").with(Map.of("conv2", 30, "fc1", 400)), arch);

        // the same function: the same accuracy on the test split, the file alone saying its widths
        CliRun before = CliRun.of(args("eval", "--weights", masked.resolve("weights.safetensors").toString()));
        CliRun after = CliRun.of(args("eval", "--weights", small.resolve("weights.safetensors").toString()));
        assertEquals(0, before.code(), before.err());
        assertEquals(0, after.code(), after.err());
        assertEquals(accuracy(before.out()), accuracy(after.out()));
        assertTrue(after.out().contains("of 211,960 all parameters"), after.out());

        // it trains on from there, and its summary counts the smaller network
        Path retrain = dir.resolve("retrain");
        CliRun train = CliRun.of(args("train", "--widths", small.resolve("architecture.json").toString(), "--init-from",
                small.resolve("weights.safetensors").toString(), "--epochs", "1", "--batch-size", "50", "--no-progress", "--out", retrain.toString()));
        assertEquals(0, train.code(), train.err());
        assertEquals(211_960, new ObjectMapper().readTree(retrain.resolve("summary.json").toFile()).get("runs").get(0).get("params").asLong());
        // without the widths, --init-from says how to load it
        String hint = CliRun.of(args("train", "--model", "lenet5", "--init-from", small.resolve("weights.safetensors").toString(), "--epochs", "1",
                "--no-progress", "--out", dir.resolve("nope").toString())).badInputLine();
        assertTrue(hint.contains("tensor 'conv2.weight' has shape [30, 20, 5, 5]") && hint.contains("load it with --widths"), hint);
    }

    @Test
    void aRunWithNothingToRemoveSaysSoInOneLineAndWritesNothing() {
        Path out = dir.resolve("unused");
        CliRun shrink = CliRun.of("shrink", run.toString(), "--out", out.toString());
        assertEquals(0, shrink.code(), shrink.err());
        assertEquals(1, shrink.out().strip().lines().count(), shrink.out());
        assertTrue(shrink.out().startsWith("nothing to remove from " + run.resolve("weights.safetensors") + " (lenet5 on synth-digits): "), shrink.out());
        assertFalse(Files.exists(out));
    }

    @Test
    void weightsThatDoNotMatchTheArchitectureNameTheFirstMismatch() throws IOException {
        Path arch = Files.writeString(dir.resolve("narrow.json"), Architecture.defaults("lenet5").with(Map.of("fc1", 100)).toJson());
        String line = CliRun.of("shrink", masked.toString(), "--widths", arch.toString(), "--out", dir.resolve("x").toString()).badInputLine();
        assertEquals("sparsestep: " + masked.resolve("weights.safetensors") + ": tensor 'fc1.weight' has shape [500, 800], lenet5 with the given "
                + "widths needs [100, 800]; is it a file of another model, widths or input size?", line);
        String other = CliRun.of("shrink", masked.toString(), "--model", "lenet300", "--out", dir.resolve("x").toString()).badInputLine();
        assertTrue(other.contains("its architecture is of lenet5, not of --model lenet300"), other);
        String self = CliRun.of("shrink", masked.toString(), "--out", masked.toString()).badInputLine();
        assertTrue(self.contains("is the folder of the weights being shrunk"), self);
        String intoRun = CliRun.of("shrink", masked.toString(), "--out", run.toString()).badInputLine();
        assertTrue(intoRun.contains("holds a training run"), intoRun);
        assertFalse(Files.exists(dir.resolve("x")));
    }
}
