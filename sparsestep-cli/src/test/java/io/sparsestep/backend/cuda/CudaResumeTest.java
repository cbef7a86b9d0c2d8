package io.sparsestep.backend.cuda;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Checkpoints and resume on the CUDA backend, through the real CLI with {@code --device cuda}
 * on the fake CUDA stack (whose kernel launches run the real kernels): a run killed with
 * {@code kill -9} after its first checkpoint and resumed ends with the uninterrupted run's
 * weights. The fake stack is deterministic, so the comparison is bitwise here; on a GPU it
 * holds up to the conformance tolerances (cuDNN's algorithms and float atomics may reorder).
 */
class CudaResumeTest {
    private static final List<String> RUN = List.of("--model", "lenet300", "--epochs", "3", "--train-samples", "600",
            "--test-samples", "100", "--batch-size", "50", "--c", "0.02", "--device", "cuda", "--no-progress");

    @Test
    void aKilledCudaRunResumesToTheUninterruptedWeights(@TempDir Path dir) throws Exception {
        Path whole = dir.resolve("whole"), killed = dir.resolve("killed");
        Process uninterrupted = cli(dir.resolve("whole.log"), "train", "--out", whole.toString());
        assertEquals(0, await(uninterrupted, dir.resolve("whole.log")));

        Process run = cli(dir.resolve("killed.log"), "train", "--out", killed.toString());
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
        while (!Files.exists(killed.resolve("checkpoint.safetensors"))) {
            assertTrue(run.isAlive(), "the run ended before its first checkpoint:\n" + Files.readString(dir.resolve("killed.log")));
            assertTrue(System.nanoTime() < deadline, "no checkpoint in 3 minutes");
            Thread.sleep(5);
        }
        run.destroyForcibly();
        run.waitFor();

        Process resumed = cliRaw(dir.resolve("resumed.log"), List.of("resume", killed.toString(), "--device", "cuda", "--no-progress"));
        assertEquals(0, await(resumed, dir.resolve("resumed.log")));
        String said = Files.readString(dir.resolve("resumed.log"));
        assertTrue(said.contains("Fake GPU"), "ran on the (fake) CUDA backend:\n" + said);
        assertArrayEquals(Files.readAllBytes(whole.resolve("weights.safetensors")), Files.readAllBytes(killed.resolve("weights.safetensors")),
                "weights after resuming on CUDA");
    }

    private static Process cli(Path log, String command, String... more) throws IOException {
        List<String> args = new ArrayList<>(List.of(command));
        args.addAll(RUN);
        args.addAll(List.of(more));
        return cliRaw(log, args);
    }

    private static Process cliRaw(Path log, List<String> args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "--add-modules", "jdk.incubator.vector", "-Djava.awt.headless=true",
                "-cp", System.getProperty("java.class.path"), "io.sparsestep.cli.Main"));
        cmd.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().put(CudaLibraryLocator.LIBDIR_ENV, FakeCudaStack.libraryDir().toString());
        return pb.start();
    }

    private static int await(Process p, Path log) throws IOException, InterruptedException {
        boolean done = p.waitFor(3, TimeUnit.MINUTES);
        if (!done) p.destroyForcibly();
        String said = new String(Files.readAllBytes(log), StandardCharsets.UTF_8);
        assertTrue(done, "did not finish in 3 minutes:\n" + said);
        if (p.exitValue() != 0) System.out.println(said);
        return p.exitValue();
    }
}
