package io.sparsestep.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A run whose outputs cannot be written fails with exit 2 and one line, and leaves no
 * summary.json claiming it finished: the summary is written last, after the weights.
 */
class CliWriteFailureTest {
    private static final List<String> TRAIN = List.of("train", "--model", "lenet300", "--dataset", "synth-digits",
            "--epochs", "1", "--train-samples", "200", "--test-samples", "50", "--batch-size", "50", "--device", "cpu",
            "--no-progress");

    @TempDir
    Path dir;

    private static List<String> trainInto(Path out) {
        List<String> args = new ArrayList<>(TRAIN);
        args.addAll(List.of("--out", out.toString()));
        return args;
    }

    /** A folder named weights.safetensors is left alone by the clearing, so the rename onto it fails. */
    @Test
    void aRunThatCannotWriteItsWeightsLeavesNoSummary() throws IOException {
        Path out = dir.resolve("run");
        Files.createDirectories(out.resolve("weights.safetensors"));
        String line = CliRun.of(trainInto(out).toArray(String[]::new)).badInputLine();
        assertTrue(line.contains("weights.safetensors"), line);
        assertFalse(Files.exists(out.resolve("summary.json")), "summary.json claims a run that did not write its weights");
        assertTrue(Files.exists(out.resolve("metrics.csv")), "the finished epoch's metrics stay");
    }

    /**
     * A real full disk: a tmpfs with room for metrics.csv and the charts but not the checkpoint,
     * mounted in a user and mount namespace of its own (no root needed, nothing mounted
     * outside), with the CLI in its own JVM inside. Skips where namespaces are not allowed.
     */
    @Test
    void aFullDiskFailsWithOneLineNamingTheFileAndLeavesNoSummary() throws Exception {
        Path mount = Files.createDirectory(dir.resolve("tmpfs"));
        String refused = namespaceRefusal(mount);
        assumeTrue(refused == null, () -> "cannot mount a tmpfs without root here: " + refused);

        // the same run on a roomy disk, for the sizes
        Path roomy = dir.resolve("roomy");
        assertEquals(0, CliRun.of(trainInto(roomy).toArray(String[]::new)).code());
        long small = Files.size(roomy.resolve("metrics.csv")) + Files.size(roomy.resolve("chart.png"))
                + Files.size(roomy.resolve("chart-layers.png"));
        // the first big file of a run is the checkpoint after the last (here: only) epoch, before the weights
        long checkpoint = Files.size(roomy.resolve("checkpoint.safetensors"));
        long room = Math.max(256 << 10, 2 * small + (64 << 10)); // old and new chart side by side, page rounding
        assertTrue(room < checkpoint, "the checkpoint (" + checkpoint + " bytes) must not fit in " + room);

        Path out = mount.resolve("run");
        List<String> command = new ArrayList<>(List.of("unshare", "--user", "--map-root-user", "--mount", "sh", "-c",
                "mount -t tmpfs -o size=" + room / 1024 + "k sparsestep-full \"$0\" || exit 99; \"$@\"; rc=$?; "
                        + "echo FILES: $(ls -A \"$0\"/run); exit $rc",
                mount.toString(),
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "--add-modules", "jdk.incubator.vector", "-Djava.awt.headless=true",
                "-cp", System.getProperty("java.class.path"), "io.sparsestep.cli.Main"));
        command.addAll(trainInto(out));
        Process process = new ProcessBuilder(command).start();
        String stdout = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String stderr = new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(120, TimeUnit.SECONDS));

        List<String> errors = stderr.lines().filter(l -> !l.startsWith("WARNING: Using incubator modules")).toList();
        String report = "exit " + process.exitValue() + "\nstderr:\n" + stderr + "\nstdout:\n" + stdout;
        assertEquals(2, process.exitValue(), report);
        assertEquals(List.of("sparsestep: no space left on device writing " + out.resolve("checkpoint.safetensors") + " ("
                + checkpoint + " bytes needed); free space or choose another --out"), errors, report);
        String files = stdout.lines().filter(l -> l.startsWith("FILES:")).findFirst().orElseThrow();
        assertEquals("FILES: .lock chart-layers.png chart.png metrics.csv", files, "no summary.json, no temp file left: " + report);
    }

    /** Null when a tmpfs can be mounted in a namespace of our own, else why not. */
    private static String namespaceRefusal(Path mount) throws InterruptedException {
        try {
            Process probe = new ProcessBuilder("unshare", "--user", "--map-root-user", "--mount", "sh", "-c",
                    "mount -t tmpfs -o size=64k sparsestep-probe \"$0\"", mount.toString())
                    .redirectErrorStream(true).start();
            String output = new String(probe.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            return probe.waitFor() == 0 ? null : "unshare/mount exit " + probe.exitValue() + ": " + output;
        } catch (IOException e) {
            return "no unshare: " + e.getMessage();
        }
    }
}
