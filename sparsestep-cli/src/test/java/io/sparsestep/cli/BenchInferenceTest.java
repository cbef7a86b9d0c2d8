package io.sparsestep.cli;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code bench --inference} on {@link ZeroedLeNet} (the layout ShrinkCommandTest checks the shrink of): it
 * times both networks, shrunk in memory or read from `shrink`'s output, prints medians whose
 * ratio is the speedup it prints, with logits that agree; a run with nothing to remove is one
 * line. The timings themselves are not checked (they depend on the machine).
 */
class BenchInferenceTest {
    private static final Pattern MEDIAN = Pattern.compile("median ([0-9.]+) ms per batch");
    private static final Pattern SPEEDUP = Pattern.compile("speedup ([0-9.]+)x .*largest \\|logit difference\\| on the batch ([0-9.eE+-]+)");
    @TempDir
    static Path dir;
    private static Path run, masked;

    @BeforeAll
    static void trainAndZero() throws IOException {
        ZeroedLeNet z = ZeroedLeNet.train(dir, "--train-samples", "300", "--test-samples", "100", "--device", "cpu");
        run = z.run();
        masked = z.masked();
    }

    private static void checkReport(CliRun bench) {
        assertEquals(0, bench.code(), bench.err());
        String out = bench.out();
        assertTrue(out.contains("one evaluation-mode forward batch of 8, median of 3 passes after 2 untimed"), out);
        assertTrue(out.contains("  original 431,080 parameters, 2,293,000 multiply-adds per sample: median "), out);
        assertTrue(out.contains("  shrunk   211,960 parameters, 1,444,000 multiply-adds per sample: median "), out);
        Matcher m = MEDIAN.matcher(out);
        assertTrue(m.find(), out);
        double original = Double.parseDouble(m.group(1));
        assertTrue(m.find(), out);
        double shrunk = Double.parseDouble(m.group(1));
        assertTrue(original > 0 && shrunk > 0, out);
        Matcher s = SPEEDUP.matcher(out);
        assertTrue(s.find(), out);
        // the printed ratio is the printed medians' (both rounded to 2 decimals)
        assertEquals(original / shrunk, Double.parseDouble(s.group(1)), 0.01 + 0.01 * original / shrunk, out);
        assertTrue(Double.parseDouble(s.group(2)) < 1e-3, "the shrunk network computes the same logits: " + out);
    }

    @Test
    void timesTheRunAndItsShrinkInMemory() {
        checkReport(CliRun.of("bench", "--inference", masked.toString(), "--batch", "8", "--repeats", "3", "--device", "cpu"));
    }

    @Test
    void timesTheRunAgainstTheShrinkCommandsOutput() {
        Path small = dir.resolve("small");
        CliRun shrink = CliRun.of("shrink", masked.toString(), "--out", small.toString());
        assertEquals(0, shrink.code(), shrink.err());
        checkReport(CliRun.of("bench", "--inference", masked.resolve("weights.safetensors").toString(), "--shrunk", small.toString(),
                "--batch", "8", "--repeats", "3", "--device", "cpu"));
    }

    @Test
    void badInputIsOneLine() {
        String nothing = CliRun.of("bench", "--inference", run.toString(), "--device", "cpu").badInputLine();
        assertTrue(nothing.contains("the shrink removes nothing from it"), nothing);
        String missing = CliRun.of("bench", "--inference", dir.resolve("nope").toString(), "--device", "cpu").badInputLine();
        assertTrue(missing.contains("bench --inference " + dir.resolve("nope") + ": no such folder or file"), missing);
        String alone = CliRun.of("bench", "--shrunk", masked.toString()).badInputLine();
        assertTrue(alone.contains("--shrunk goes with --inference RUN"), alone);
        String repeats = CliRun.of("bench", "--inference", masked.toString(), "--repeats", "0", "--device", "cpu").badInputLine();
        assertTrue(repeats.contains("--repeats must be positive"), repeats);
    }
}
