package io.sparsestep.bench;

import io.sparsestep.backend.Backend;
import io.sparsestep.backend.Buffer;
import io.sparsestep.backend.Tensor;
import io.sparsestep.backend.cpu.CpuBackend;
import io.sparsestep.optim.Grda;
import io.sparsestep.testing.FusedStepReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import org.openjdk.jmh.runner.options.VerboseMode;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

/** The benchmark pieces on tiny CPU sizes: fixtures, the JMH state methods called directly, memory probe, JMH wiring, files. */
class BenchHarnessTest {
    /** Every method of the registry is benchmarked: a new method without a StepKind fails here. */
    @org.junit.jupiter.api.Test
    void everyRegisteredMethodHasABenchmarkStep() {
        for (io.sparsestep.optim.Method m : io.sparsestep.optim.Methods.ALL) {
            org.junit.jupiter.api.Assertions.assertTrue(java.util.Arrays.stream(StepKind.values()).anyMatch(k -> k.method() == m),
                    m.id() + " has no StepKind");
        }
        for (StepKind k : StepKind.values()) {
            if (k.isOptimizer()) org.junit.jupiter.api.Assertions.assertEquals(k.method(), k.spec().method(), k.id());
        }
    }

    private static final int N = 1000;

    private static float[] read(Backend be, Buffer b, long n) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment host = arena.allocate(4 * n, 64);
            be.download(new Tensor(b, 0, (int) n), host);
            return host.toArray(ValueLayout.JAVA_FLOAT);
        }
    }

    /** The values fillRandom promises: uniform in [-1, 1) from SplittableRandom(seed), in order. */
    private static float[] expectedRandom(long seed, int n) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) (2 * r.nextDouble() - 1);
        return v;
    }

    /** The CPU benchmark's state for {@code kind} at size N, set up and stepped once as JMH would, then {@code check}ed and torn down. */
    private static void steppedOnce(String kind, java.util.function.Consumer<FlatStepFixture> check) {
        CpuOptimizerStepBench bench = new CpuOptimizerStepBench();
        bench.size = N;
        bench.kind = kind;
        bench.setUp();
        try {
            bench.step();
            check.accept(bench.fixture());
        } finally {
            bench.tearDown();
        }
    }

    @Test
    void grdaBenchmarkStateStepsTheRealOptimizer() {
        steppedOnce("grda", f -> {
            // one gRDA step from acc = w0 with gradient g: w = S_tau(w0 - lr*g), tau = c * lr^(0.5+mu)
            float[] w0 = expectedRandom(42, N), g = expectedRandom(43, N);
            float lr = (float) FlatStepFixture.GRDA_LR;
            double tau = FlatStepFixture.GRDA_C * Math.pow(FlatStepFixture.GRDA_LR, 0.5 + FlatStepFixture.GRDA_MU);
            assertEquals(tau, Grda.tauIncrement(FlatStepFixture.GRDA_C, FlatStepFixture.GRDA_MU, FlatStepFixture.GRDA_LR, 1), 1e-15);
            float[] w = read(f.backend(), f.params(), N);
            for (int i = 0; i < N; i++) {
                double expected = FusedStepReference.softThreshold(w0[i] - lr * g[i], (float) tau); // a pruned weight is +0.0
                assertEquals(expected, w[i], 1e-6, "w[" + i + "]");
            }
            // one accumulator as long as the (aligned) parameter buffer
            assertEquals(4L * f.params().words(), f.stateBytes());
            assertTrue(f.params().words() >= N && f.params().words() < N + 16);
        });
    }

    /** The select benchmark finds GSM's threshold: the floor(5% n)-th largest |g*w| of the fixture's w and g, as a sort finds it. */
    @Test
    void selectBenchmarkStateFindsGsmsThreshold() {
        steppedOnce("select", f -> {
            float[] w = expectedRandom(42, N), g = expectedRandom(43, N), scores = new float[N];
            for (int i = 0; i < N; i++) scores[i] = Math.abs(g[i] * w[i]);
            java.util.Arrays.sort(scores);
            long k = StepKind.selectK(N);
            assertEquals(50, k, "floor(0.05 * 1000)");
            io.sparsestep.backend.SelectOps.Selection sel = f.backend().selects().read(f.selectScratch());
            assertEquals(Float.floatToRawIntBits(scores[N - (int) k]), Float.floatToRawIntBits(sel.threshold()));
            assertEquals(k, sel.k());
            assertEquals(N, sel.candidates());
            assertEquals(4L * f.selectScratch().size(), f.stateBytes());
        });
        assertFalse(StepKind.SELECT.isOptimizer());
        assertEquals(1, StepKind.selectK(3), "at least one");
    }

    /** sDprun's fixture is rows of 4096 (and one row of the rest) and steps the real optimizer: one step against the group rule in double. */
    @Test
    void sdprunBenchmarkStepsRowsOf4096WithTheRealOptimizer() {
        int n = 2 * FlatStepFixture.SDPRUN_ROW + 5;
        try (Backend be = new CpuBackend(); FlatStepFixture f = FlatStepFixture.open(be, StepKind.SDPRUN, n, 42)) {
            f.step();
            float[] w0 = expectedRandom(42, n), g = expectedRandom(43, n), w = read(be, f.params(), n);
            io.sparsestep.optim.SdprunSpec spec = (io.sparsestep.optim.SdprunSpec) StepKind.SDPRUN.spec();
            float lr = (float) spec.lr();
            double tau = Grda.tauIncrement(spec.c(), spec.mu(), spec.lr(), 1);
            int[][] rows = {{0, FlatStepFixture.SDPRUN_ROW}, {FlatStepFixture.SDPRUN_ROW, FlatStepFixture.SDPRUN_ROW}, {2 * FlatStepFixture.SDPRUN_ROW, 5}};
            for (int[] row : rows) {
                double norm = 0;
                for (int i = row[0]; i < row[0] + row[1]; i++) norm += Math.pow(w0[i] - lr * g[i], 2);
                norm = Math.sqrt(norm);
                double factor = Math.max(0, 1 - Math.sqrt(row[1]) * tau / norm);
                for (int i = row[0]; i < row[0] + row[1]; i++) assertEquals((w0[i] - lr * g[i]) * factor, w[i], 1e-6, "w[" + i + "]");
            }
            assertEquals(4L * f.params().words(), f.stateBytes(), "one accumulator, as gRDA");
        }
    }

    @Test
    void copyFixtureCopiesAndSgdMomentumKeepsOneBuffer() {
        try (Backend be = new CpuBackend()) {
            try (FlatStepFixture copy = FlatStepFixture.open(be, StepKind.COPY, N, 7)) {
                copy.step();
                assertArrayEquals(expectedRandom(7, N), read(be, copy.copyDestination(), N));
                assertEquals(0, copy.stateBytes());
            }
            try (FlatStepFixture sgdm = FlatStepFixture.open(be, StepKind.SGD_MOMENTUM, N, 7)) {
                sgdm.step();
                // first step: the momentum buffer is g itself, so w = w0 - lr*g
                float[] w0 = expectedRandom(7, N), g = expectedRandom(8, N), w = read(be, sgdm.params(), N);
                for (int i = 0; i < N; i++) assertEquals(w0[i] - (float) FlatStepFixture.SGD_LR * g[i], w[i], 1e-6, "w[" + i + "]");
                assertEquals(4L * sgdm.params().words(), sgdm.stateBytes());
            }
            try (FlatStepFixture sgd = FlatStepFixture.open(be, StepKind.SGD, N, 7)) {
                assertEquals(0, sgd.stateBytes());
            }
        }
    }

    /**
     * The op-level kinds step the fused op itself: GSM at its threshold moves exactly the
     * entries whose |g*w| reaches it (about 5%, a binomial bound) by lr*g (the buffer starts at
     * 0, no decay) and leaves the rest bit for bit; masked SGD moves the kept 5% and writes
     * every pruned weight +0.0. Neither is a method's optimizer, so no training step takes one.
     */
    @Test
    void opLevelKindsStepTheFusedOpItself() {
        int n = 20_000;
        float[] w0 = expectedRandom(7, n), g = expectedRandom(8, n);
        try (Backend be = new CpuBackend()) {
            try (FlatStepFixture gsm = FlatStepFixture.open(be, StepKind.GSM_STEP, n, 7)) {
                gsm.step();
                float[] w = read(be, gsm.params(), n);
                int moved = 0;
                for (int i = 0; i < n; i++) {
                    boolean selected = Math.abs(g[i] * w0[i]) >= FusedOpStep.GSM_THRESHOLD;
                    float want = selected ? w0[i] - FusedOpStep.LR * (FusedOpStep.MOMENTUM * 0f + g[i]) : w0[i];
                    assertEquals(Float.floatToRawIntBits(want), Float.floatToRawIntBits(w[i]), "gsm-step w[" + i + "]");
                    moved += selected ? 1 : 0;
                }
                assertWithinBinomial(moved, n, 0.05, "entries GSM's threshold selects");
                assertEquals(4L * gsm.params().words(), gsm.stateBytes(), "one momentum buffer");
            }
            try (FlatStepFixture masked = FlatStepFixture.open(be, StepKind.MASKED_SGD_STEP, n, 7)) {
                masked.step();
                float[] w = read(be, masked.params(), n);
                int kept = 0;
                for (int i = 0; i < n; i++) {
                    if (w[i] == 0f) {
                        assertEquals(0, Float.floatToRawIntBits(w[i]), "a pruned weight is +0.0 at " + i);
                    } else {
                        assertEquals(w0[i] - FusedOpStep.LR * g[i], w[i], 0f, "a kept weight steps by lr*g at " + i);
                        kept++;
                    }
                }
                assertWithinBinomial(kept, n, FusedOpStep.MASK_DENSITY, "weights the mask keeps");
                assertEquals(4L * masked.params().words() + n, masked.stateBytes(), "momentum buffer and one mask byte per weight");
            }
        }
        for (StepKind k : List.of(StepKind.GSM_STEP, StepKind.MASKED_SGD_STEP)) {
            assertFalse(k.isOptimizer(), k.id());
            assertEquals(1, k.passes(), k.id());
            assertThrows(IllegalArgumentException.class, () -> TrainStepFixture.open(null, "lenet300", 4, k, 1));
            MemoryRecord mem = MemoryProbe.measure(BenchTarget.CPU_OPTIMIZER_STEP, Map.of("size", Integer.toString(N), "kind", k.id()));
            assertEquals(0, mem.allocationsPerStep(), k.id() + " must not allocate in a step");
        }
        assertEquals(20, StepKind.GSM_STEP.bytesPerParam());
        assertEquals(21, StepKind.MASKED_SGD_STEP.bytesPerParam());
    }

    private static void assertWithinBinomial(int count, int trials, double p, String what) {
        double sd = Math.sqrt(trials * p * (1 - p));
        assertTrue(Math.abs(count - trials * p) <= 5 * sd, what + ": " + count + " of " + trials + ", expected " + trials * p + " +- 5 x " + sd);
    }

    /** Words of the parameter buffer the fixture allocates for n parameters (FlatMemory pads to 16 words). */
    private static final class FlatStepFixtureWords {
        static long of(int n) {
            try (Backend be = new CpuBackend(); FlatStepFixture f = FlatStepFixture.open(be, StepKind.SGD, n, 1)) {
                return f.params().words();
            }
        }
    }

    @Test
    void memoryProbeSeesStateInThePeakAndNoAllocationInAStep() {
        Map<String, String> grda = Map.of("size", Integer.toString(N), "kind", "grda");
        Map<String, String> sgd = Map.of("size", Integer.toString(N), "kind", "sgd");
        MemoryRecord g = MemoryProbe.measure(BenchTarget.CPU_OPTIMIZER_STEP, grda);
        MemoryRecord s = MemoryProbe.measure(BenchTarget.CPU_OPTIMIZER_STEP, sgd);
        long paramWords = FlatStepFixtureWords.of(N);
        assertEquals(4L * paramWords, g.stateBytes());
        assertEquals(0, s.stateBytes());
        assertEquals(0, g.allocationsPerStep(), "a gRDA step must not allocate");
        assertEquals(0, s.allocationsPerStep());
        // gRDA adds its accumulator (N words) and a one-word zero counter to the same flat memory
        assertEquals(4L * paramWords + 4, g.peakBytes() - s.peakBytes());
        assertEquals(N, g.parameters());
    }

    @Test
    void trainFixtureRunsAStepOnLenet300() {
        try (Backend be = new CpuBackend();
             TrainStepFixture f = TrainStepFixture.open(be, "lenet300", 4, StepKind.GRDA, 1)) {
            f.step();
            double first = f.lastLoss();
            assertTrue(Double.isFinite(first) && first > 0, "loss " + first);
            for (int i = 0; i < 20; i++) f.step();
            assertTrue(f.lastLoss() < first, "repeating one batch must lower its loss: " + first + " -> " + f.lastLoss());
            assertEquals(266_610, f.network().parameterCount());
            assertEquals(4L * f.network().memory().params().words(), f.stateBytes());
        }
        assertThrows(IllegalArgumentException.class, () -> TrainStepFixture.open(null, "lenet300", 4, StepKind.COPY, 1));
    }

    @Test
    void jmhRunsTheSuiteInProcessAndTheReportReadsIt() throws Exception {
        var options = new OptionsBuilder()
                .include(BenchTarget.CPU_OPTIMIZER_STEP.includePattern())
                .param("size", "4096").param("kind", "copy", "grda")
                .forks(0).warmupIterations(0)
                .measurementIterations(2).measurementTime(TimeValue.milliseconds(50))
                .verbosity(VerboseMode.SILENT)
                .build();
        Collection<RunResult> results = new Runner(options).run();
        List<Measurement> ms = JmhResults.measurements(results);
        assertEquals(2, ms.size());
        for (Measurement m : ms) {
            assertEquals("optimizer-step", m.workload());
            assertEquals("cpu", m.device());
            assertEquals("4096", m.param("size"));
            assertEquals(2, m.samples());
            assertTrue(m.medianMs() > 0 && m.medianMs() < 1000, "median " + m.medianMs());
        }
        BenchReport.OptimizerRow grda = new BenchReport(ms, List.of(), null).optimizerRows().stream()
                .filter(r -> r.kind().equals("grda")).findFirst().orElseThrow();
        assertNotNull(grda.fractionOfCopy());

        JsonNode jmhJson = new ObjectMapper().readTree(JmhResults.json(results));
        assertEquals(2, jmhJson.size());
        assertEquals(BenchTarget.CPU_OPTIMIZER_STEP.benchmarkName(), jmhJson.get(0).get("benchmark").asText());
    }

    @Test
    void filesAreWrittenWholeWithNoTemporariesLeft(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("nested/bench");
        Map<String, Object> summary = new HashMap<>();
        summary.put("mode", "quick");
        BenchCommand.writeAll(out, "[]".getBytes(), summary, "# table\n");
        BenchCommand.writeAll(out, "[ ]".getBytes(), summary, "# table 2\n");
        assertEquals("[ ]", Files.readString(out.resolve(BenchCommand.JMH_JSON)));
        assertEquals("quick", new ObjectMapper().readTree(out.resolve(BenchCommand.SUMMARY_JSON).toFile()).get("mode").asText());
        assertEquals("# table 2\n", Files.readString(out.resolve(BenchCommand.MARKDOWN)));
        try (Stream<Path> files = Files.list(out)) {
            assertEquals(3, files.count(), "temporary files left behind");
        }
    }

    @Test
    void devicesAndKindsRejectUnknownNamesWithTheChoices() {
        Map<String, String> skipped = new HashMap<>();
        assertEquals(java.util.EnumSet.of(BenchDevice.CPU), BenchCommand.devices("cpu", skipped));
        assertTrue(skipped.containsKey("cuda"));

        skipped.clear();
        var auto = BenchCommand.devices("auto", skipped);
        assertTrue(auto.contains(BenchDevice.CPU));
        assertEquals(!auto.contains(BenchDevice.CUDA), skipped.containsKey("cuda"), "a left-out GPU must say why");

        var e = assertThrows(IllegalArgumentException.class, () -> BenchCommand.devices("tpu", new HashMap<>()));
        assertTrue(e.getMessage().contains("auto, cpu or cuda"), e.getMessage());
        var k = assertThrows(IllegalArgumentException.class, () -> StepKind.of("adam"));
        assertTrue(k.getMessage().contains("grda"), k.getMessage());
    }

    @Test
    void busyMachineGetsANoteQuietOneDoesNot() {
        assertTrue(MachineInfo.busyWarning("3.36 / 4.83 / 23.45", 2).orElseThrow().contains("3.36 on 2 cores"));
        assertTrue(MachineInfo.busyWarning("3.36 / 4.83 / 23.45", 16).isEmpty());
        assertTrue(MachineInfo.busyWarning("0.20 / 0.10 / 0.05", 2).isEmpty());
        assertTrue(MachineInfo.busyWarning("unknown", 2).isEmpty());
        assertTrue(MachineInfo.loadAverage().matches("[0-9.]+ .*"), MachineInfo.loadAverage());
    }

    @Test
    void quickPlanIsCpuOnlyWithoutAGpuAndShrinksOnlyTheCpuVggBatch() {
        BenchPlan quick = BenchPlan.quick(java.util.EnumSet.of(BenchDevice.CPU));
        assertTrue(quick.runs().stream().allMatch(r -> r.target().device() == BenchDevice.CPU));
        List<String> kinds = quick.runs().stream().filter(r -> r.target() == BenchTarget.CPU_OPTIMIZER_STEP)
                .flatMap(r -> r.params().get("kind").stream()).toList();
        assertEquals(List.of("copy", "grda", "sgd", "sgd-momentum", "gsm", "gmp", "sdprun", "select", "gsm-step", "masked-sgd-step"), kinds, "the methods' kinds, the selection and the op-level ones");
        kinds.forEach(StepKind::of); // every planned kind exists
        List<Map<String, String>> train = quick.runs().stream().filter(r -> r.target() == BenchTarget.CPU_TRAIN_STEP)
                .flatMap(r -> r.combinations().stream()).toList();
        assertEquals(9, train.size(), "3 models x 3 optimizers (gRDA, SGD-momentum, GMP)");
        for (Map<String, String> c : train) {
            assertEquals(c.get("model").equals("vgg16") ? Integer.toString(BenchPlan.QUICK_CPU_VGG_BATCH) : "128", c.get("batch"));
        }
        assertFalse(quick.notes().isEmpty(), "the smaller batch must be stated");

        BenchPlan full = BenchPlan.full(java.util.EnumSet.of(BenchDevice.CPU, BenchDevice.CUDA));
        assertTrue(full.runs().stream().flatMap(r -> r.combinations().stream())
                .filter(c -> c.containsKey("batch")).allMatch(c -> c.get("batch").equals("128")));
        // every GPU size from 16M up exceeds an H200's 60 MB L2 several times per buffer
        full.runs().stream().filter(r -> r.target() == BenchTarget.CUDA_OPTIMIZER_STEP)
                .flatMap(r -> r.params().get("size").stream()).mapToLong(Long::parseLong)
                .filter(n -> n > 1L << 20).forEach(n -> assertTrue(4 * n >= 60_000_000L, n + " parameters"));
    }

    // ------------------------------------------------------------ inputs checked before the run

    /** A pytorch.json as bench_pytorch.py writes it (extra keys included), with the given results. */
    private static String pytorchJson(String results, String errors) {
        return """
                {"tool": "bench_pytorch.py", "date": "2026-01-01T00:00:00+00:00", "device": "NVIDIA H200",
                 "gpu_memory_bytes": 150000000000, "l2_bytes": 62914560, "torch": "2.5.1", "cuda": "12.4",
                 "settings": {"warmup": 5, "steps": 20, "repeats": 7},
                 "results": %s, "errors": %s}
                """.formatted(results, errors);
    }

    private static final String ROW = """
            {"workload": "resnet50", "params": 25557032, "tensors": 161, "method": "%s", "median_ms": %s,
             "min_ms": 0.2, "max_ms": 0.3, "steps": 20, "repeats": 7, "bytes_per_param": 16, "gb_per_s": 1800.0}""";

    private static IllegalArgumentException rejected(Path file) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PytorchResults.read(file));
        assertTrue(e.getMessage().startsWith(file.toString()), "names the file first: " + e.getMessage());
        assertFalse(e.getMessage().contains("\n"), "one line: " + e.getMessage());
        assertTrue(e.getMessage().contains("bench_pytorch.py"), "says where a good file comes from: " + e.getMessage());
        return e;
    }

    @Test
    void pytorchFileAsTheScriptWritesItIsRead(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("pytorch.json"),
                pytorchJson("[" + ROW.formatted("grda_loop", "20.5") + ", " + ROW.formatted("copy", "0.125") + "]", "[]"));
        PytorchResults r = PytorchResults.read(file);
        assertEquals("NVIDIA H200", r.device());
        assertEquals("2.5.1", r.torch());
        assertEquals(List.of(new PytorchResults.Row("resnet50", 25_557_032L, 161, "grda_loop", 20.5),
                new PytorchResults.Row("resnet50", 25_557_032L, 161, "copy", 0.125)), r.results());
    }

    @Test
    void pytorchFileWithoutTheExpectedKeysIsRejectedNamingThem(@TempDir Path dir) throws Exception {
        IllegalArgumentException e = rejected(Files.writeString(dir.resolve("other.json"), "{\"x\":1}"));
        for (String key : List.of("\"tool\"", "\"device\"", "\"results\"", "\"errors\"")) {
            assertTrue(e.getMessage().contains(key), key + " missing from: " + e.getMessage());
        }
        // only what is actually missing is named
        IllegalArgumentException one = rejected(Files.writeString(dir.resolve("no-errors.json"),
                "{\"tool\":\"bench_pytorch.py\",\"device\":\"g\",\"results\":[" + ROW.formatted("copy", "1") + "]}"));
        assertTrue(one.getMessage().contains("\"errors\"") && !one.getMessage().contains("\"tool\""), one.getMessage());
        assertTrue(rejected(Files.writeString(dir.resolve("list.json"), "[1, 2]")).getMessage().contains("top level is array"));
    }

    @Test
    void pytorchResultRowWithoutATimeOrWithAWrongTypeIsRejected(@TempDir Path dir) throws Exception {
        String noTime = "{\"workload\": \"1M\", \"params\": 1048576, \"tensors\": 1, \"method\": \"copy\"}";
        IllegalArgumentException e = rejected(Files.writeString(dir.resolve("a.json"),
                pytorchJson("[" + ROW.formatted("copy", "0.1") + ", " + noTime + "]", "[]")));
        assertTrue(e.getMessage().contains("results[1] lacks \"median_ms\""), e.getMessage());
        IllegalArgumentException text = rejected(Files.writeString(dir.resolve("b.json"),
                pytorchJson("[" + ROW.formatted("copy", "\"fast\"") + "]", "[]")));
        assertTrue(text.getMessage().contains("results[0] lacks \"median_ms\" (positive number)"), text.getMessage());
    }

    @Test
    void pytorchFileWithOnlyErrorsOrBrokenJsonIsRejected(@TempDir Path dir) throws Exception {
        IllegalArgumentException none = rejected(Files.writeString(dir.resolve("oom.json"), pytorchJson("[]",
                "[{\"workload\": \"resnet50\", \"method\": \"*\", \"error\": \"out of memory: CUDA\"}]")));
        assertTrue(none.getMessage().contains("no results") && none.getMessage().contains("out of memory: CUDA"), none.getMessage());
        assertTrue(rejected(Files.writeString(dir.resolve("cut.json"), "{\"tool\": \"bench_py"))
                .getMessage().contains("not valid JSON"));
        assertTrue(rejected(Files.writeString(dir.resolve("empty.json"), "")).getMessage().contains("top level is empty"));
    }

    /** A pytorch.json as bench_pytorch.py --device cpu writes it: backend, threads, flat rows and training-step rows. */
    private static String cpuPytorchJson(String results) {
        return """
                {"tool": "bench_pytorch.py", "date": "2026-12-01T00:00:00+00:00", "backend": "cpu", "device": "AMD EPYC (2 logical CPUs)",
                 "threads": {"intra_op": 2, "inter_op": 2}, "cpu_capability": "AVX2", "torch": "1.13.0a0", "cuda": null,
                 "settings": {"warmup": 3, "steps": 5, "repeats": 5, "min_window_ms": 250.0, "batch": 128},
                 "results": %s, "errors": []}
                """.formatted(results);
    }

    private static final String FLAT_ROW = """
            {"workload": "flat-%s", "params": %d, "tensors": 1, "method": "%s", "median_ms": 2.5, "min_ms": 2.4, "max_ms": 2.7,
             "steps": 100, "repeats": 5, "bytes_per_param": 8, "gb_per_s": 3.4}""";
    private static final String TRAIN_ROW = """
            {"workload": "train-%1$s", "model": "%1$s", "batch": %2$d, "input": [1, 28, 28], "params": 431080, "tensors": 8,
             "method": "train_sgd_momentum", "median_ms": 30.5, "min_ms": 29, "max_ms": 33, "steps": 9, "repeats": 5, "last_loss": 2.2}""";

    @Test
    void cpuPytorchFileIsReadWithItsBackendThreadsAndTrainingRows(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("pytorch.json"), cpuPytorchJson("[" + FLAT_ROW.formatted("1M", 1L << 20, "copy") + ", "
                + TRAIN_ROW.formatted("lenet5", 128) + "]"));
        PytorchResults r = PytorchResults.read(file);
        assertTrue(r.isCpu());
        assertEquals(2, r.intraOpThreads());
        assertEquals(2, r.interOpThreads());
        assertEquals(List.of(new PytorchResults.Row("flat-1M", 1L << 20, 1, "copy", 2.5),
                new PytorchResults.Row("train-lenet5", 431_080L, 8, "train_sgd_momentum", 30.5, "lenet5", 128)), r.results());
        assertEquals(Optional.of(StepKind.SGD_MOMENTUM), r.results().get(1).peerKind());
        assertFalse(PytorchResults.read(Files.writeString(dir.resolve("gpu.json"),
                pytorchJson("[" + ROW.formatted("copy", "0.1") + "]", "[]"))).isCpu(), "a file without a backend key is a GPU file");
    }

    @Test
    void cpuPytorchFileWithAnUnknownBackendOrATrainingRowWithoutItsBatchIsRejected(@TempDir Path dir) throws Exception {
        String noBatch = TRAIN_ROW.formatted("lenet5", 1).replace("\"batch\": 1,", "");
        IllegalArgumentException e = rejected(Files.writeString(dir.resolve("a.json"), cpuPytorchJson("[" + noBatch + "]")));
        assertTrue(e.getMessage().contains("results[0] lacks \"batch\" (positive integer)"), e.getMessage());
        IllegalArgumentException tpu = rejected(Files.writeString(dir.resolve("b.json"),
                cpuPytorchJson("[" + FLAT_ROW.formatted("1M", 1L << 20, "copy") + "]").replace("\"backend\": \"cpu\"", "\"backend\": \"tpu\"")));
        assertTrue(tpu.getMessage().contains("\"backend\" (\"cpu\" or \"cuda\")"), tpu.getMessage());
    }

    @Test
    void peersPlanRunsExactlyTheFilesPeersOnItsDevice(@TempDir Path dir) throws Exception {
        PytorchResults torch = PytorchResults.read(Files.writeString(dir.resolve("pytorch.json"), cpuPytorchJson("["
                + FLAT_ROW.formatted("16M", 16L << 20, "grda_loop") + ", " + FLAT_ROW.formatted("1M", 1L << 20, "copy") + ", "
                + FLAT_ROW.formatted("1M", 1L << 20, "topk") + ", " + FLAT_ROW.formatted("1M", 1L << 20, "sgd_momentum_foreach") + ", "
                + TRAIN_ROW.formatted("vgg16", 128) + ", " + TRAIN_ROW.formatted("lenet5", 128) + ", " + TRAIN_ROW.formatted("lenet5", 64) + "]")));
        BenchPlan plan = BenchPlan.peers(torch);
        assertEquals("peers", plan.mode());
        assertEquals(List.of(BenchTarget.CPU_OPTIMIZER_STEP, BenchTarget.CPU_TRAIN_STEP, BenchTarget.CPU_TRAIN_STEP),
                plan.runs().stream().map(BenchRun::target).toList(), "one optimizer run, one training run per batch");
        BenchRun opt = plan.runs().getFirst();
        assertEquals(List.of("1048576", "16777216"), opt.params().get("size"), "each size once, ascending");
        assertEquals(List.of("copy", "grda", "sgd-momentum", "select"), opt.params().get("kind"), "each kind once, in StepKind order");
        assertEquals(8, opt.combinations().size(), "2 sizes x 4 kinds: the cross product includes 16M copy, an unpaired extra");
        assertEquals(Map.of("model", List.of("lenet5"), "batch", List.of("64"), "optimizer", List.of("sgd-momentum")), plan.runs().get(1).params());
        assertEquals(Map.of("model", List.of("vgg16", "lenet5"), "batch", List.of("128"), "optimizer", List.of("sgd-momentum")),
                plan.runs().get(2).params());
        for (BenchRun train : plan.runs().subList(1, 3)) {
            long warmSeconds = train.warmupIterations() * train.warmupTime().toSeconds();
            assertTrue(warmSeconds >= 20, "a CPU training step is timed after the JIT's warm-up (20 s), got " + warmSeconds + " s");
            assertEquals(8, train.measurementIterations(), "8 timed iterations: VGG-16 takes one step per second-long iteration");
        }
    }

    @Test
    void peersOnlyNeedsAPytorchFileAndItsDevice(@TempDir Path dir) throws Exception {
        Path cpuFile = Files.writeString(dir.resolve("cpu.json"), cpuPytorchJson("[" + FLAT_ROW.formatted("1M", 1L << 20, "copy") + "]"));
        assertEquals("cpu", BenchCommand.peersDevice(cpuFile, "auto", false));
        assertEquals("cpu", BenchCommand.peersDevice(cpuFile, "cpu", false));
        IllegalArgumentException noFile = assertThrows(IllegalArgumentException.class, () -> BenchCommand.peersDevice(null, "auto", false));
        assertTrue(noFile.getMessage().contains("--pytorch FILE"), noFile.getMessage());
        IllegalArgumentException other = assertThrows(IllegalArgumentException.class, () -> BenchCommand.peersDevice(cpuFile, "cuda", false));
        assertTrue(other.getMessage().contains("measured on (cpu)") && other.getMessage().contains("drop --device cuda"), other.getMessage());
        assertThrows(IllegalArgumentException.class, () -> BenchCommand.peersDevice(cpuFile, "auto", true), "--full has its own plan");
        Path out = dir.resolve("runs/bench");
        assertEquals(2, io.sparsestep.cli.Main.execute("bench", "--peers-only", "--out", out.toString()), "bad input: exit 2");
        assertFalse(Files.exists(dir.resolve("runs")), "nothing left behind");
    }

    @Test
    void badPytorchFileFailsBeforeTheOutputFolderIsCreated(@TempDir Path dir) throws Exception {
        Path bad = Files.writeString(dir.resolve("pytorch.json"), "{\"x\":1}");
        Path out = dir.resolve("runs/bench");
        assertThrows(IllegalArgumentException.class, () -> BenchCommand.checkInputs(bad, out));
        assertFalse(Files.exists(dir.resolve("runs")), "nothing may be left behind");
    }

    @Test
    void outputFolderIsCreatedAndProbedWithNothingLeftInIt(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("a/b");
        assertNull(BenchCommand.checkInputs(null, out));
        assertTrue(Files.isDirectory(out));
        try (Stream<Path> files = Files.list(out)) {
            assertEquals(0, files.count(), "the probe file must be removed");
        }
    }

    @Test
    void outputFolderThatCannotBeCreatedIsOneLineNamingIt(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("taken"), "a file, not a folder");
        Path out = file.resolve("bench");
        var e = assertThrows(IllegalArgumentException.class, () -> BenchCommand.checkInputs(null, out));
        assertTrue(e.getMessage().startsWith("--out " + out + ": cannot create the folder"), e.getMessage());
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
    }

    @Test
    void readOnlyOutputFolderIsReportedBeforeTheRun(@TempDir Path dir) throws Exception {
        Path out = Files.createDirectory(dir.resolve("ro"));
        Files.setPosixFilePermissions(out, java.nio.file.attribute.PosixFilePermissions.fromString("r-xr-xr-x"));
        try {
            org.junit.jupiter.api.Assumptions.assumeFalse(Files.isWritable(out), "running as root: every folder is writable");
            var e = assertThrows(IllegalArgumentException.class, () -> BenchCommand.checkInputs(null, out));
            assertTrue(e.getMessage().startsWith("--out " + out + ": folder is not writable"), e.getMessage());
            assertTrue(e.getMessage().contains("AccessDenied"), e.getMessage());
        } finally {
            Files.setPosixFilePermissions(out, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        }
    }

    @Test
    void folderNotEvenRootCanWriteToIsReported() {
        // /proc takes no new files from anyone, so this also runs where the test runs as root
        Path proc = Path.of("/proc/self");
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isDirectory(proc), "needs Linux /proc");
        var e = assertThrows(IllegalArgumentException.class, () -> BenchCommand.checkInputs(null, proc));
        assertTrue(e.getMessage().startsWith("--out /proc/self: folder is not writable ("), e.getMessage());
        assertTrue(e.getMessage().endsWith("; pass --out a writable folder"), e.getMessage());
    }

    /** The inference benchmark's "after" is the pruned architecture the shrink made, computing the "before" network's logits. */
    @Test
    void inferenceFixtureShrinksToThePrunedArchitectureWithTheSameLogits() {
        try (Backend be = new CpuBackend();
             InferenceFixture before = InferenceFixture.open(be, "resnet56", 2, "before", 1);
             InferenceFixture after = InferenceFixture.open(be, "resnet56", 2, "after", 1)) {
            int[] in = {3, 32, 32};
            assertEquals(io.sparsestep.nn.ModelCost.of(io.sparsestep.nn.Architecture.defaults("resnet56"), in, 10).parameters(),
                    before.network().parameterCount());
            assertEquals(io.sparsestep.nn.ModelCost.of(io.sparsestep.nn.Architecture.preset("resnet56-b"), in, 10).parameters(),
                    after.network().parameterCount());
            float[] a = before.logits(), b = after.logits();
            double scale = 0;
            for (float v : a) scale = Math.max(scale, Math.abs(v));
            for (int i = 0; i < a.length; i++) assertEquals(a[i], b[i], 1e-5 * (1 + scale), "logit " + i);
        }
        assertThrows(IllegalArgumentException.class, () -> InferenceFixture.open(null, "vgg16", 2, "during", 1));
        assertThrows(IllegalArgumentException.class, () -> InferenceFixture.pruned("lenet5"));
    }

    @Test
    void inferenceBenchmarkStateRunsAPass() {
        CpuInferenceBench bench = new CpuInferenceBench();
        bench.model = "vgg16";
        bench.batch = 1;
        bench.shrink = "after";
        bench.setUp();
        try {
            bench.forward();
        } finally {
            bench.tearDown();
        }
        MemoryRecord m = MemoryProbe.measure(BenchTarget.CPU_INFERENCE, Map.of("model", "vgg16", "batch", "1", "shrink", "after"));
        assertEquals(io.sparsestep.nn.ModelCost.of(io.sparsestep.nn.Architecture.preset("vgg16-a"), new int[] {3, 32, 32}, 10).parameters(),
                m.parameters());
        assertEquals(0, m.allocationsPerStep(), "an evaluation pass allocates nothing");
    }
}
