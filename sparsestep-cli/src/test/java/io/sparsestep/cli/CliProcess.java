package io.sparsestep.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The real CLI in a JVM of its own (this JVM's java and class path, sparsestep's flags),
 * output to a log file: for what only a separate process shows (reproducibility across
 * launches, kill -9, signals).
 */
record CliProcess(Process process, Path log) {
    static CliProcess start(Path log, List<String> args) throws IOException {
        List<String> command = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElseThrow(),
                "--enable-native-access=ALL-UNNAMED", "--add-modules", "jdk.incubator.vector", "-Djava.awt.headless=true", "-Xmx1g",
                "-cp", System.getProperty("java.class.path"), Main.class.getName()));
        command.addAll(args);
        Files.createDirectories(log.getParent());
        return new CliProcess(new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start(), log);
    }

    /** Waits (at most 3 minutes) and returns the exit code. */
    int await() throws IOException, InterruptedException {
        boolean done = process.waitFor(3, TimeUnit.MINUTES);
        if (!done) process.destroyForcibly();
        assertTrue(done, "the launch did not finish in 3 minutes:\n" + output());
        return process.exitValue();
    }

    String output() throws IOException { return Files.readString(log); }

    /** SIGKILL, and waits until the process is gone. */
    void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor();
    }

    /** The lines of a metrics.csv with the timing column ({@code seconds}) left out. */
    static List<String> untimedMetrics(Path csv) throws IOException {
        List<String> lines = Files.readAllLines(csv);
        List<String> header = Arrays.asList(lines.getFirst().split(",", -1));
        int seconds = header.indexOf("seconds");
        assertTrue(seconds >= 0, "metrics.csv header: " + header);
        List<String> kept = new ArrayList<>();
        for (String line : lines) {
            List<String> row = new ArrayList<>(Arrays.asList(line.split(",", -1)));
            row.remove(seconds);
            kept.add(String.join(",", row));
        }
        return kept;
    }
}
