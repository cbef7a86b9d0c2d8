package io.sparsestep.bench;

import io.sparsestep.nn.Architecture;
import io.sparsestep.nn.ModelCost;
import io.sparsestep.nn.Models;
import io.sparsestep.nn.Network;
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
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The contract between the two halves of the comparison: bench/pytorch/bench_pytorch.py (on
 * the GPU host, or with --device cpu on this machine) writes pytorch.json, and `sparsestep
 * bench --pytorch` reads it. Here the real script runs against bench/pytorch/fake_torch
 * (torch's API on numpy, no GPU, no torch) on the smallest workloads, and its output must
 * pass {@link PytorchResults#read} and give the side-by-side rows; on the CPU its models must
 * have the parameter and tensor counts of sparsestep's own. Skipped where python3 with numpy
 * is missing.
 */
class PytorchScriptContractTest {
    private static final Path ROOT = Path.of(System.getProperty("user.dir")); // the repository root: surefire runs there
    private static final Path SCRIPT = ROOT.resolve("bench/pytorch/bench_pytorch.py");

    @Test
    void whatTheScriptWritesIsWhatTheBenchReads(@TempDir Path out) throws Exception {
        assumeTrue(run(List.of("python3", "-c", "import numpy"), out).exit == 0, "python3 with numpy not available");
        Result r = run(List.of("python3", SCRIPT.toString(), "--out", out.toString(),
                "--workloads", "flat-1M", "--warmup", "0", "--steps", "1", "--repeats", "1"), out);
        assertEquals(0, r.exit, r.output);

        PytorchResults results = PytorchResults.read(out.resolve("pytorch.json"));
        assertEquals("cuda", results.backend(), "the default device is still the GPU");
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

    private static final List<String> MODELS = List.of("lenet300", "lenet5", "resnet20", "vgg16");

    @Test
    void theCpuRunWritesOptimizerAndTrainingRowsOfSparsestepsModels(@TempDir Path out) throws Exception {
        assumeTrue(run(List.of("python3", "-c", "import numpy"), out).exit == 0, "python3 with numpy not available");
        Result r = run(List.of("python3", SCRIPT.toString(), "--device", "cpu", "--threads", "3", "--out", out.toString(),
                "--workloads", "flat-1M," + MODELS.stream().map(m -> "train-" + m).collect(Collectors.joining(",")),
                "--batch", "4", "--warmup", "0", "--steps", "1", "--repeats", "1", "--min-window-ms", "0"), out);
        assertEquals(0, r.exit, r.output);

        PytorchResults results = PytorchResults.read(out.resolve("pytorch.json"));
        assertTrue(results.isCpu(), "backend cpu");
        assertEquals(3, results.intraOpThreads(), "--threads sets the intra-op threads");
        assertEquals(3, results.interOpThreads(), "and the inter-op threads");
        Set<String> flat = results.results().stream().filter(x -> !x.isTrainStep()).map(PytorchResults.Row::method).collect(Collectors.toSet());
        assertEquals(Set.of("copy", "grda_loop", "sgd_momentum_foreach", "topk"), flat, "the CPU's optimizer rows (no fused SGD on the CPU)");
        List<PytorchResults.Row> train = results.results().stream().filter(PytorchResults.Row::isTrainStep).toList();
        assertEquals(MODELS, train.stream().map(PytorchResults.Row::model).toList());
        try (var backend = BenchDevice.CPU.open()) {
            for (PytorchResults.Row row : train) {
                assertEquals("train_sgd_momentum", row.method());
                assertEquals(4, row.batch());
                // sparsestep's own count of its model zoo, not the constant in the script
                int[] input = TrainStepFixture.inputShape(row.model());
                assertEquals(ModelCost.of(Architecture.defaults(row.model()), input, 10).parameters(), row.params(), row.model() + " parameters");
                try (Network net = Network.build(row.model(), backend, Models.create(row.model(), input, 10), input, 10, 1, 1)) {
                    assertEquals(net.params().size(), row.tensors(), row.model() + " parameter tensors");
                }
            }
        }
        String md = java.nio.file.Files.readString(out.resolve("pytorch.md"));
        assertTrue(md.contains("3 intra-op / 3 inter-op threads") && md.contains("| vgg16 | 4 | 3x32x32 | 14,724,042 | 41 |"), md);

        // our CPU rows for two of them: the report pairs each with its peer
        List<Measurement> ours = List.of(new Measurement("optimizer-step", "cpu", java.util.Map.of("size", "1048576", "kind", "grda"), 0.25, 0.25, null, 8),
                new Measurement("train-step", "cpu", java.util.Map.of("model", "lenet5", "batch", "4", "optimizer", "sgd-momentum"), 2.0, 2.0, null, 5));
        PytorchCpuComparison cmp = new BenchReport(ours, List.of(), results).pytorchCpu().orElseThrow();
        assertEquals(List.of("grda_loop", "train_sgd_momentum"), cmp.pairs().stream().map(PytorchCpuComparison.Pair::pytorch).toList());
        assertEquals(2.0 / train.get(1).medianMs(), cmp.pairs().get(1).sparsestepOverPytorch(), 1e-12);
    }

    @Test
    void withoutTorchTheScriptSaysHowToInstallItAndExits2(@TempDir Path dir) throws Exception {
        assumeTrue(run(List.of("python3", "-c", "import numpy"), dir).exit == 0, "python3 with numpy not available");
        // a torch that cannot be imported, whatever this machine has installed
        Path broken = java.nio.file.Files.createDirectories(dir.resolve("no_torch/torch"));
        java.nio.file.Files.writeString(broken.resolve("__init__.py"), "raise ImportError('No module named torch')\n");
        Path out = dir.resolve("out");
        Result r = run(List.of("python3", SCRIPT.toString(), "--device", "cpu", "--out", out.toString()), dir, dir.resolve("no_torch"));
        assertEquals(2, r.exit, r.output);
        assertTrue(r.output.contains("PyTorch is not importable") && r.output.contains("apt-get install python3-torch libopenblas0-pthread"), r.output);
        assertFalse(java.nio.file.Files.exists(out.resolve("pytorch.json")), "no results file without torch");
    }

    private record Result(int exit, String output) {}

    private static Result run(List<String> command, Path dir) throws IOException, InterruptedException {
        return run(command, dir, ROOT.resolve("bench/pytorch/fake_torch"));
    }

    private static Result run(List<String> command, Path dir, Path pythonPath) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).directory(dir.toFile());
        pb.environment().put("PYTHONPATH", pythonPath.toString());
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
