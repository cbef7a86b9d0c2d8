package io.sparsestep.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Every option is checked before anything is loaded, created or opened: the runs below
 * point at an MNIST folder that holds no files and ask for --device auto, so an option
 * checked too late shows up as a data error, a "no usable CUDA GPU" notice or a created
 * --out folder instead of the one line naming the option.
 */
class CliOptionValidationTest {
    @TempDir
    Path dir;

    /** Bad option(s) and a piece of the one-line error that must name them. */
    record Case(List<String> args, String expected) {
        @Override
        public String toString() { return String.join(" ", args); }
    }

    private static Case c(String expected, String... args) { return new Case(List.of(args), expected); }

    static Stream<Case> badTrainOptions() {
        return Stream.of(
                c("unknown model 'alexnet'", "--model", "alexnet"),
                c("WRN widen factor must be 1..16", "--model", "wrn28-20"),
                c("--lr must be", "--lr", "0"),
                c("--lr must be", "--lr", "-0.1"),
                c("--lr must be", "--lr", "NaN"),
                c("--lr must be", "--lr", "Infinity"),
                c("--c must be", "--c", "-1"),
                c("--c must be", "--c", "NaN"),
                c("--bias-bn-c must be", "--bias-bn-c", "-0.01"),
                c("--mu must be in (0, 1)", "--mu", "0"),
                c("--mu must be in (0, 1)", "--mu", "-0.3"),
                c("--mu must be in (0, 1)", "--mu", "1"),
                c("--mu must be a finite number", "--mu", "NaN"),
                c("--lr-schedule must be", "--lr-schedule", "linear"),
                c("--gamma must be", "--lr-schedule", "step", "--gamma", "0"),
                c("--gamma must be", "--lr-schedule", "step", "--gamma", "-0.1"),
                c("--gamma must be", "--gamma", "NaN"),
                c("--momentum must be", "--optimizer", "sgd", "--momentum", "1"),
                c("--momentum must be", "--optimizer", "sgd", "--momentum", "-0.5"),
                c("--momentum must be", "--optimizer", "sgd", "--momentum", "NaN"),
                c("--dampening must be", "--optimizer", "sgd", "--dampening", "-0.5"),
                c("--dampening must be", "--optimizer", "sgd", "--dampening", "NaN"),
                c("--weight-decay must be", "--optimizer", "sgd", "--weight-decay", "-1e-4"),
                c("--weight-decay must be", "--optimizer", "sgd", "--weight-decay", "NaN"),
                c("--weight-decay must be", "--optimizer", "sgd", "--weight-decay", "Infinity"),
                c("--nesterov requires", "--optimizer", "sgd", "--nesterov", "--dampening", "0.5"),
                c("--nesterov requires", "--optimizer", "sgd", "--nesterov", "--momentum", "0"),
                // an option of the other method is refused, naming its owner: it would otherwise be ignored
                c("--dampening is an option of SGD (--method sgd); gRDA (--method grda) does not take it", "--optimizer", "grda", "--dampening", "0.5"),
                c("--mu is an option of gRDA (--method grda) and sDprun (--method sdprun); SGD (--method sgd) does not take it", "--method", "sgd", "--mu", "0.6"),
                c("--c is an option of gRDA", "--optimizer", "sgd", "--c", "0.5"),
                c("unknown --method 'adam'; known: grda (gRDA), sgd (SGD)", "--method", "adam"),
                c("--method grda and --optimizer sgd disagree", "--method", "grda", "--optimizer", "sgd"),
                c("--checkpoint-every must be >= 1", "--checkpoint-every", "0"),
                c("did you mean --epochs", "--epoch", "3"),
                c("--milestones", "--epochs", "4", "--lr-schedule", "step", "--milestones", "-1"),
                c("--milestones", "--epochs", "4", "--lr-schedule", "step", "--milestones", "0,2"),
                c("--milestones", "--epochs", "4", "--lr-schedule", "step", "--milestones", "2,4"),
                c("--milestones", "--epochs", "4", "--lr-schedule", "step", "--milestones", "3,2"),
                c("--milestones", "--epochs", "4", "--lr-schedule", "step", "--milestones", "2,2"),
                c("--milestones", "--epochs", "4", "--lr-schedule", "cosine", "--milestones", "2"),
                c("--epochs must be", "--epochs", "0"),
                c("--batch-size must be", "--batch-size", "0"),
                c("--train-samples must be", "--train-samples", "-1"),
                c("--test-samples must be", "--test-samples", "-5"),
                c("cuda:N", "--device", "cuda:x"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badTrainOptions")
    void trainRejectsBeforeLoadingOrCreatingAnything(Case bad) {
        Path out = dir.resolve("out");
        List<String> args = new ArrayList<>(List.of("train", "--dataset", "mnist", "--data-dir", dir.toString(), "--no-progress",
                "--out", out.toString()));
        if (!bad.args().contains("--model")) args.addAll(List.of("--model", "lenet300"));
        if (!bad.args().contains("--device")) args.addAll(List.of("--device", "auto"));
        args.addAll(bad.args());
        String line = CliRun.of(args.toArray(String[]::new)).badInputLine();
        assertTrue(line.contains(bad.expected()), line);
        assertFalse(Files.exists(out), "--out created although the options were bad");
    }

    @Test
    void demoChecksItsOwnOptionsAndBothRuns() {
        Path out = dir.resolve("out");
        for (Case bad : List.of(c("--sgd-lr must be", "--sgd-lr", "0"), c("--sgd-lr must be", "--sgd-lr", "NaN"),
                c("--mu must be in (0, 1)", "--mu", "0"), c("--momentum must be", "--momentum", "1"),
                c("unknown model 'alexnet'", "--model", "alexnet"))) {
            List<String> args = new ArrayList<>(List.of("demo", "--dataset", "mnist", "--data-dir", dir.toString(),
                    "--device", "auto", "--no-progress", "--out", out.toString()));
            args.addAll(bad.args());
            String line = CliRun.of(args.toArray(String[]::new)).badInputLine();
            assertTrue(line.contains(bad.expected()), bad + ": " + line);
            assertFalse(Files.exists(out), bad + ": --out created although the options were bad");
        }
    }

    /**
     * The default dataset is synthetic, so "train --data-dir ~/mnist" without --dataset would
     * silently train on generated digits; a data folder given with a synthetic set is an error.
     */
    @Test
    void dataDirWithASyntheticDatasetIsRejected() {
        for (String dataset : List.of("synth-digits", "synth-cifar", "Synth-Digits")) {
            String line = CliRun.of("train", "--model", "lenet300", "--dataset", dataset, "--data-dir", dir.toString(),
                    "--device", "cpu", "--out", dir.resolve("out").toString()).badInputLine();
            assertTrue(line.contains("--data-dir") && line.contains("--dataset"), line);
        }
        assertFalse(Files.exists(dir.resolve("out")));
    }
}
