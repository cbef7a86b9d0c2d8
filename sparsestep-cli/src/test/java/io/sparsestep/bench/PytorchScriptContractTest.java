package io.sparsestep.bench;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The contract between the two halves of the GPU comparison: bench/pytorch/bench_pytorch.py
 * (run on the GPU host) writes pytorch.json, and `sparsestep bench --pytorch` reads it. Here
 * the real script runs against bench/pytorch/fake_torch (torch's API on numpy, no GPU) on the
 * smallest workload, and its output must pass {@link PytorchResults#read} and give the
 * side-by-side rows. Skipped where python3 with numpy is missing.
 */
class PytorchScriptContractTest {
    private static final Path ROOT = Path.of(System.getProperty("user.dir")); // the repository root: surefire runs there

    @Test
    void whatTheScriptWritesIsWhatTheBenchReads(@TempDir Path out) throws Exception {
        assumeTrue(run(List.of("python3", "-c", "import numpy"), out).exit == 0, "python3 with numpy not available");
        Result r = run(List.of("python3", ROOT.resolve("bench/pytorch/bench_pytorch.py").toString(), "--out", out.toString(),
                "--workloads", "flat-1M", "--warmup", "0", "--steps", "1", "--repeats", "1"), out);
        assertEquals(0, r.exit, r.output);

        PytorchResults results = PytorchResults.read(out.resolve("pytorch.json"));
        Set<String> methods = results.results().stream().map(PytorchResults.Row::method).collect(Collectors.toSet());
        assertEquals(Set.of("copy", "grda_loop", "sgd_momentum_fused", "sgd_momentum_foreach", "topk"), methods);
        for (PytorchResults.Row row : results.results()) {
            assertEquals("flat-1M", row.workload());
            assertEquals(1L << 20, row.params());
            assertTrue(row.medianMs() > 0, row.toString());
        }
        BenchReport report = new BenchReport(List.of(new Measurement("optimizer-step", "cuda", java.util.Map.of("size", "1048576",
                "kind", "select"), 0.05, 0.05, null, 1)), List.of(), results);
        assertEquals(1, report.pytorchRows().size(), "one side-by-side row for the one workload");
        BenchReport.PytorchRow row = report.pytorchRows().getFirst();
        assertEquals(row.torchTopkMs() / 0.05, row.torchTopkOverJavaSelect(), 1e-12, "topk / Java select on the same vector");
    }

    private record Result(int exit, String output) {}

    private static Result run(List<String> command, Path dir) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).directory(dir.toFile());
        pb.environment().put("PYTHONPATH", ROOT.resolve("bench/pytorch/fake_torch").toString());
        pb.environment().put("PYTHONDONTWRITEBYTECODE", "1");
        Process p;
        try {
            p = pb.start();
        } catch (IOException e) {
            return new Result(-1, "cannot start " + command.getFirst() + ": " + e.getMessage());
        }
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            return new Result(-1, "timed out:\n" + output);
        }
        return new Result(p.exitValue(), output);
    }
}
