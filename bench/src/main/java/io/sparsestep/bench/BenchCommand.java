package io.sparsestep.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.sparsestep.backend.cuda.CudaUnavailableException;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;

/**
 * {@code sparsestep bench}: runs the JMH suite (optimizer steps against the copy baseline,
 * full training steps, gRDA against SGD, inference before and after the shrink), measures memory next to it, and writes
 * jmh-results.json (JMH's own format), summary.json and results.md to --out, printing
 * the table. Exit 0 when every configuration produced a result, 1 when some failed.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = {"Benchmark gRDA against SGD and SGD-momentum (step time vs copy bandwidth, full training steps, memory) and "
                + "inference before and after `shrink` with JMH.",
                "The default is a quick subset (minutes); --full runs more sizes, forks and iterations."})
public final class BenchCommand implements Callable<Integer> {
    static final String JMH_JSON = "jmh-results.json", SUMMARY_JSON = "summary.json", MARKDOWN = "results.md";

    @Option(names = "--full", description = "All sizes, two forks, longer iterations, VGG-16 at batch 128 on the CPU too")
    boolean full;

    @Option(names = "--device", description = "cpu, cuda or auto (CPU, plus the GPU when one works; default: ${DEFAULT-VALUE})")
    String device = "auto";

    @Option(names = "--out", description = "Directory for jmh-results.json, summary.json and results.md (default: ${DEFAULT-VALUE})")
    Path out = Path.of("runs", "bench");

    @Option(names = "--pytorch", paramLabel = "FILE",
            description = "pytorch.json from bench/pytorch/bench_pytorch.py (--device cuda on the same GPU, or --device cpu on this "
                    + "machine): adds the side-by-side table and targets")
    Path pytorch;

    @Option(names = "--peers-only", description = "With --pytorch: run only the configurations with a peer in that file, on its device "
            + "(its flat sizes x copy/gRDA/SGD-momentum/select, its models at its batch with SGD-momentum), at the quick plan's iterations (CPU training steps: 20 s of warm-up for the JIT, 8 timed s)")
    boolean peersOnly;

    @Option(names = "--inference", paramLabel = "RUN",
            description = "Instead of the suite: time one evaluation-mode forward batch of this run's network (a run folder or its "
                    + "weights/checkpoint file) and of its shrunk form, and print both medians and their ratio")
    Path inference;

    @Option(names = "--shrunk", paramLabel = "RUN",
            description = "With --inference: the shrunk network (the --out of `sparsestep shrink`, or its weights file); "
                    + "default: shrink the --inference weights in memory")
    Path shrunk;

    @Option(names = "--batch", description = "With --inference: the batch size (default: ${DEFAULT-VALUE})")
    int inferenceBatch = 128;

    @Option(names = "--repeats", description = "With --inference: timed passes per network, after max(2, repeats/5) untimed ones "
            + "(default: ${DEFAULT-VALUE})")
    int repeats = 20;

    @Override
    public Integer call() {
        if (inference != null) return InferenceReport.run(inference, shrunk, inferenceBatch, repeats, device);
        if (shrunk != null) throw new IllegalArgumentException("--shrunk goes with --inference RUN (the network it is the shrink of)");
        PrintStream log = System.out;
        // Bad input fails here, in a second, rather than after minutes of benchmarking.
        String deviceChoice = peersOnly ? peersDevice(pytorch, device, full) : device;
        PytorchResults torch = checkInputs(pytorch, out);
        String loadAtStart = MachineInfo.loadAverage();
        ZonedDateTime started = ZonedDateTime.now().truncatedTo(ChronoUnit.SECONDS);
        long startNanos = System.nanoTime();
        Map<String, String> skipped = new LinkedHashMap<>();
        Set<BenchDevice> devices = devices(deviceChoice, skipped);
        if (peersOnly) skipped.replaceAll((d, why) -> "--peers-only with a PyTorch file measured on " + deviceChoice);
        BenchPlan plan = peersOnly ? BenchPlan.peers(torch) : full ? BenchPlan.full(devices) : BenchPlan.quick(devices);
        List<String> notes = new ArrayList<>(plan.notes());
        MachineInfo.busyWarning(loadAtStart, Runtime.getRuntime().availableProcessors()).ifPresent(notes::add);
        skipped.forEach((d, why) -> log.println("bench: " + d + " half skipped: " + why));
        notes.forEach(n -> log.println("bench: " + n));

        List<MemoryRecord> memory = measureMemory(plan, log);
        List<RunResult> results = runJmh(plan);
        List<Measurement> measurements = JmhResults.measurements(results);

        Map<String, String> machine = machine(devices);
        machine.put("load average 1/5/15 min, start", loadAtStart);
        machine.put("load average 1/5/15 min, end", MachineInfo.loadAverage());
        machine.put("wall time of the run", String.format(Locale.ROOT, "%.0f s", (System.nanoTime() - startNanos) / 1e9));
        BenchReport.Context ctx = new BenchReport.Context(plan.mode(), started.format(DateTimeFormatter.ISO_OFFSET_DATE_TIME),
                machine, skipped, notes);
        BenchReport report = new BenchReport(measurements, memory, torch);
        String markdown = report.markdown(ctx);
        writeAll(out, JmhResults.json(results), report.summary(ctx), markdown);
        log.println();
        log.println(markdown);
        log.println("bench: wrote " + out.resolve(JMH_JSON) + ", " + out.resolve(SUMMARY_JSON) + ", " + out.resolve(MARKDOWN));

        int expected = plan.runs().stream().mapToInt(r -> r.combinations().size()).sum();
        if (measurements.size() < expected) {
            log.println("bench: " + (expected - measurements.size()) + " of " + expected
                    + " configurations produced no timing (see the JMH log above)");
            return 1;
        }
        return 0;
    }

    /**
     * The --device that --peers-only leaves: the file's own backend (auto or that backend),
     * checked before anything runs; --peers-only needs a --pytorch file and its own plan.
     */
    static String peersDevice(Path pytorchFile, String device, boolean full) {
        if (pytorchFile == null) throw new IllegalArgumentException("--peers-only needs --pytorch FILE (the rows to run are that file's peers)");
        if (full) throw new IllegalArgumentException("--peers-only runs its own plan; drop --full (or --peers-only)");
        String backend = PytorchResults.read(pytorchFile).backend();
        if (!device.equals("auto") && !device.equals(backend)) {
            throw new IllegalArgumentException("--peers-only runs the device " + pytorchFile + " was measured on (" + backend
                    + "); drop --device " + device + " or pass a file measured on " + device);
        }
        return backend;
    }

    /**
     * The PyTorch results (null without --pytorch), read and checked, then --out created and
     * probed for writing: each failure is one line naming the file or folder. The PyTorch file
     * goes first so that a run rejected for it leaves no new --out folder behind.
     */
    static PytorchResults checkInputs(Path pytorchFile, Path outDir) {
        PytorchResults torch = pytorchFile == null ? null : PytorchResults.read(pytorchFile);
        BenchFiles.requireWritableDir(outDir);
        return torch;
    }

    /** Memory of every configuration; one that cannot be built is reported and left out, the rest go on. */
    private static List<MemoryRecord> measureMemory(BenchPlan plan, PrintStream log) {
        List<MemoryRecord> memory = new ArrayList<>();
        for (BenchRun run : plan.runs()) {
            log.println("bench: measuring memory of " + run.target() + " " + run.params());
            for (Map<String, String> combo : run.combinations()) {
                try {
                    memory.add(MemoryProbe.measure(run.target(), combo));
                } catch (RuntimeException e) {
                    log.println("bench: memory probe of " + run.target() + " " + combo + " failed: " + e);
                }
            }
        }
        return memory;
    }

    /** Every run of the plan through JMH; a benchmark that fails inside its fork just has no result. */
    private static List<RunResult> runJmh(BenchPlan plan) {
        List<RunResult> results = new ArrayList<>();
        for (BenchRun run : plan.runs()) {
            try {
                results.addAll(new Runner(run.options()).run());
            } catch (RunnerException e) {
                throw new IllegalStateException("JMH could not run " + run.target() + ": " + e.getMessage(), e);
            }
        }
        return results;
    }

    /** Which devices to run, recording why one was left out. */
    static Set<BenchDevice> devices(String device, Map<String, String> skipped) {
        Optional<String> cudaProblem;
        switch (device) {
            case "cpu":
                skipped.put("cuda", "--device cpu");
                return EnumSet.of(BenchDevice.CPU);
            case "cuda":
                cudaProblem = BenchDevice.CUDA.unavailableReason();
                if (cudaProblem.isPresent()) throw new CudaUnavailableException("bench --device cuda: " + cudaProblem.get());
                skipped.put("cpu", "--device cuda");
                return EnumSet.of(BenchDevice.CUDA);
            case "auto":
                cudaProblem = BenchDevice.CUDA.unavailableReason();
                if (cudaProblem.isEmpty()) return EnumSet.of(BenchDevice.CPU, BenchDevice.CUDA);
                skipped.put("cuda", "no usable GPU (" + cudaProblem.get() + ")");
                return EnumSet.of(BenchDevice.CPU);
            default:
                throw new IllegalArgumentException("unknown device '" + device + "'; choose auto, cpu or cuda");
        }
    }

    /** The host, plus each backend's own description line (threads, or GPU name and memory). */
    private static Map<String, String> machine(Set<BenchDevice> devices) {
        Map<String, String> m = MachineInfo.describe();
        for (BenchDevice d : devices) {
            try (var backend = d.open()) {
                m.put(d.id() + " backend", backend.description());
            } catch (RuntimeException e) {
                m.put(d.id() + " backend", "could not open: " + e.getMessage());
            }
        }
        return m;
    }

    static void writeAll(Path dir, byte[] jmhJson, Map<String, Object> summary, String markdown) {
        ObjectMapper mapper = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        byte[] summaryJson;
        try {
            summaryJson = mapper.writeValueAsBytes(summary);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException("cannot serialise the bench summary: " + e.getOriginalMessage(), e);
        }
        BenchFiles.writeAtomically(dir.resolve(JMH_JSON), jmhJson);
        BenchFiles.writeAtomically(dir.resolve(SUMMARY_JSON), summaryJson);
        BenchFiles.writeAtomically(dir.resolve(MARKDOWN), markdown.getBytes(StandardCharsets.UTF_8));
    }
}
