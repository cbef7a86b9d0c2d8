package io.sparsestep.cli;

import io.sparsestep.train.io.FolderLock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

/**
 * --out is checked before any data is loaded, and a run never leaves its files next to an
 * earlier run's. The bad-folder runs point at an MNIST folder without files: if --out were
 * checked late, the error would be about MNIST.
 */
class CliOutputFolderTest {
    private static final List<String> RUN_FILES = List.of("metrics.csv", "chart.png", "chart-layers.png", "summary.json",
            "weights.safetensors");

    @TempDir
    Path dir;

    private CliRun trainInto(Path out, String... extra) {
        List<String> args = new ArrayList<>(List.of("train", "--model", "lenet300", "--dataset", "mnist",
                "--data-dir", dir.resolve("nodata").toString(), "--device", "cpu", "--no-progress", "--out", out.toString()));
        args.addAll(List.of(extra));
        return CliRun.of(args.toArray(String[]::new));
    }

    @Test
    void outThatIsAFileIsReportedBeforeLoadingData() throws Exception {
        Files.createDirectories(dir.resolve("nodata"));
        Path file = Files.writeString(dir.resolve("afile"), "keep me");
        String line = trainInto(file).badInputLine();
        assertTrue(line.contains(file + ": exists and is not a directory"), line);
        assertTrue(line.contains("choose another --out"), line);
        assertEquals("keep me", Files.readString(file));

        String under = trainInto(file.resolve("sub")).badInputLine();
        assertTrue(under.contains(file + " exists and is not a directory"), under);
        assertTrue(under.contains("choose another --out"), under);
    }

    @Test
    void readOnlyOutIsPermissionDenied() throws Exception {
        Files.createDirectories(dir.resolve("nodata"));
        Path locked = Files.createDirectory(dir.resolve("locked"));
        Files.setPosixFilePermissions(locked, PosixFilePermissions.fromString("r-xr-xr-x"));
        try {
            assumeFalse(Files.isWritable(locked), "running as root: permissions do not apply");
            String line = trainInto(locked).badInputLine();
            assertTrue(line.contains("permission denied"), line);
            assertTrue(line.contains("choose another --out"), line);
            String below = trainInto(locked.resolve("run")).badInputLine();
            assertTrue(below.contains("permission denied"), below);
        } finally {
            Files.setPosixFilePermissions(locked, PosixFilePermissions.fromString("rwxr-xr-x"));
        }
    }

    /** The up-front check creates the folder to probe it, and removes it again (its parents may be shared with other runs). */
    @Test
    void theCheckLeavesNoFolderBehindWhenTheDataIsMissing() {
        Path out = dir.resolve("a").resolve("b");
        String line = trainInto(out).badInputLine();
        assertTrue(line.contains("mnist"), line);
        assertFalse(Files.exists(out), "the folder created by the check was left behind");
    }

    private static CliRun synthTrain(Path out, String... extra) {
        List<String> args = new ArrayList<>(List.of("train", "--model", "lenet300", "--dataset", "synth-digits", "--epochs", "1",
                "--train-samples", "200", "--test-samples", "50", "--batch-size", "50", "--device", "cpu", "--no-progress",
                "--out", out.toString()));
        args.addAll(List.of(extra));
        return CliRun.of(args.toArray(String[]::new));
    }

    @Test
    void aFailedRunLeavesNoFilesOfTheRunBefore() throws Exception {
        Path out = dir.resolve("run");
        assertEquals(0, synthTrain(out).code());
        for (String f : RUN_FILES) assertTrue(Files.exists(out.resolve(f)), f);
        assertUnlocked(out);
        Files.writeString(out.resolve("notes.txt"), "mine");

        CliRun diverged = synthTrain(out, "--optimizer", "sgd", "--lr", "1e30");
        assertTrue(diverged.badInputLine().contains("diverged"), diverged.err());
        for (String f : RUN_FILES) assertFalse(Files.exists(out.resolve(f)), f + " of the first run is still there");
        assertEquals("mine", Files.readString(out.resolve("notes.txt")), "only sparsestep's own file names are removed");
        assertUnlocked(out);
    }

    /** A run that ended, well or by an exception, has let go of its folder: in this JVM a held lock would be "in use". */
    private static void assertUnlocked(Path folder) {
        FolderLock.acquire(folder).close();
    }

    private static String inUse(Path out) {
        return "sparsestep: output folder " + out + " is in use by another sparsestep run (pid " + ProcessHandle.current().pid()
                + "); wait for that run to end, or choose another --out";
    }

    /**
     * Two runs on one --out: the second stops at once, before loading data (the MNIST folder
     * has no files: the error would be about them) and before deleting the first run's files.
     */
    @Test
    void aSecondRunOnALockedFolderStopsBeforeLoadingOrDeletingAnything() throws Exception {
        Path out = Files.createDirectories(dir.resolve("busy"));
        Files.writeString(out.resolve("metrics.csv"), "the running run's");
        try (FolderLock _ = FolderLock.acquire(out)) {
            assertEquals(inUse(out), trainInto(out).badInputLine());
            assertEquals(inUse(out), CliRun.of("demo", "--dataset", "mnist", "--data-dir", dir.resolve("nodata").toString(),
                    "--device", "cpu", "--no-progress", "--out", out.toString()).badInputLine());
        }
        assertEquals("the running run's", Files.readString(out.resolve("metrics.csv")));

        // a demo locks each run's folder too: a train run there would mix its files with the demo's
        Path demo = dir.resolve("demo"), sgd = demo.resolve("sgd");
        try (FolderLock _ = FolderLock.acquire(sgd)) {
            assertEquals(inUse(sgd), CliRun.of("demo", "--dataset", "mnist", "--data-dir", dir.resolve("nodata").toString(),
                    "--device", "cpu", "--no-progress", "--out", demo.toString()).badInputLine());
        }
        assertUnlocked(demo);
        assertUnlocked(demo.resolve("grda"));
    }

    @Test
    void aFailedDemoLeavesNoFilesOfTheDemoBefore() throws Exception {
        Path out = dir.resolve("demo");
        List<String> demo = List.of("demo", "--epochs", "1", "--train-samples", "200", "--test-samples", "50",
                "--batch-size", "50", "--device", "cpu", "--no-progress", "--out", out.toString());
        assertEquals(0, CliRun.of(demo.toArray(String[]::new)).code());
        for (String f : List.of("summary.json", "chart.png", "sgd/summary.json", "sgd/weights.safetensors")) {
            assertTrue(Files.exists(out.resolve(f)), f);
        }
        // a train run's files at the top level are not the demo's: they must survive
        Files.writeString(out.resolve("weights.safetensors"), "a train run's");
        Files.writeString(out.resolve("sgd").resolve("notes.txt"), "mine");

        List<String> diverging = new ArrayList<>(demo);
        diverging.addAll(List.of("--sgd-lr", "1e30"));
        CliRun failed = CliRun.of(diverging.toArray(String[]::new));
        assertTrue(failed.badInputLine().contains("diverged"), failed.err());
        for (String f : List.of("summary.json", "chart.png")) {
            assertFalse(Files.exists(out.resolve(f)), f + " of the demo before is still there");
        }
        assertEquals("a train run's", Files.readString(out.resolve("weights.safetensors")), "the demo deleted a file it never writes");
        for (String f : RUN_FILES) assertFalse(Files.exists(out.resolve("sgd").resolve(f)), "sgd/" + f + " of the demo before");
        // the gRDA run of this demo finished: its files are this demo's
        for (String f : RUN_FILES) assertTrue(Files.exists(out.resolve("grda").resolve(f)), "grda/" + f);
        assertEquals("mine", Files.readString(out.resolve("sgd").resolve("notes.txt")));
        for (Path folder : List.of(out, out.resolve("grda"), out.resolve("sgd"))) assertUnlocked(folder);
    }
}
