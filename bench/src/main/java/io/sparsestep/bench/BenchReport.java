package io.sparsestep.bench;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The numbers a reader wants from one run: per optimizer step, its achieved bandwidth
 * ({@code bytes per parameter * parameters / median time}) as a fraction of the copy's in
 * the same run, and its time relative to SGD with momentum; per training step, gRDA's
 * time relative to SGD with momentum; memory next to the timings; the targets as
 * met or missed with the measured value; and, when PyTorch results are given, the Java
 * GPU step next to PyTorch's on the same parameter counts, or, for a PyTorch-CPU file, the CPU
 * rows next to PyTorch-CPU's ({@link PytorchCpuComparison}). Missing values stay null
 * (a benchmark that failed or a device that was skipped), never zero.
 */
public final class BenchReport {
    static final double CPU_COPY_FRACTION_TARGET = 0.70, GPU_COPY_FRACTION_TARGET = 0.85;
    static final long GPU_LARGE_SIZE = 64L << 20;
    static final double TRAIN_OVERHEAD_TARGET = 0.03, VS_FUSED_SGD_TARGET = 0.85, VS_LOOP_TARGET = 10;
    static final double SDPRUN_OVER_GRDA_TARGET = 1.3;
    static final long SDPRUN_LARGE_SIZE = 16L << 20;
    static final long RESNET50_PARAMS = 25_557_032L;

    public record OptimizerRow(String device, long size, String kind, int passes, int bytesPerParam, double medianMs, Double errorMs,
                               double gbPerSecond, Double fractionOfCopy, Double timeVsSgdMomentum,
                               Long stateBytes, Long peakBytes, Long allocationsPerStep) {}

    public record TrainRow(String device, String model, int batch, Long parameters, Double grdaMs, Double grdaErrorMs,
                           Double sgdMomentumMs, Double sgdMomentumErrorMs, Double grdaOverSgdMomentum, Long grdaStateBytes, Long sgdMomentumStateBytes,
                           Long grdaPeakBytes, Long sgdMomentumPeakBytes) {}

    /**
     * One batch in evaluation mode before and after the shrink: parameters and multiply-adds
     * per sample of both networks, their times, and the speed-up (before / after).
     */
    public record InferenceRow(String device, String model, int batch, Long parametersBefore, Long parametersAfter,
                               long macsBefore, long macsAfter, Double beforeMs, Double beforeErrorMs, Double afterMs,
                               Double afterErrorMs, Double speedup) {}

    /**
     * One workload on both sides. The selection columns: the Java radix select of the k-th
     * largest |g*w| and torch.topk of the same k over the same vector (GSM's authors' code
     * does a full topk every step), and how many times longer topk takes.
     */
    public record PytorchRow(String workload, long params, int tensors, Double javaGrdaMs, Double javaCopyMs,
                             Double torchCopyMs, Double torchGrdaLoopMs, Double torchSgdMomentumFusedMs,
                             Double torchSgdMomentumForeachMs, Double javaGrdaOverTorchFusedSgdMomentum,
                             Double torchGrdaLoopOverJavaGrda, Double javaSelectMs, Double torchTopkMs,
                             Double torchTopkOverJavaSelect) {}

    /** One of the performance targets: the goal, the value measured, and whether it is met (null: not measured). */
    public record Target(String device, String name, String goal, Double measured, Boolean met, String detail) {}

    private final List<Measurement> measurements;
    private final List<MemoryRecord> memory;
    private final PytorchResults pytorch;

    public BenchReport(List<Measurement> measurements, List<MemoryRecord> memory, PytorchResults pytorch) {
        this.measurements = List.copyOf(measurements);
        this.memory = List.copyOf(memory);
        this.pytorch = pytorch;
    }

    // ------------------------------------------------------------------ optimizer steps

    public List<OptimizerRow> optimizerRows() {
        List<OptimizerRow> rows = new ArrayList<>();
        for (Measurement m : sortedOptimizerMeasurements()) {
            long size = Long.parseLong(m.param("size"));
            StepKind kind = StepKind.of(m.param("kind"));
            double gbs = (double) kind.bytesPerParam() * size / (m.medianMs() * 1e-3) / 1e9;
            Double fraction = optimizerTime(m.device(), size, StepKind.COPY)
                    .map(copyMs -> gbs / ((double) StepKind.COPY.bytesPerParam() * size / (copyMs * 1e-3) / 1e9))
                    .orElse(null);
            Double vsSgdm = kind == StepKind.COPY ? null
                    : optimizerTime(m.device(), size, StepKind.SGD_MOMENTUM).map(t -> m.medianMs() / t).orElse(null);
            Optional<MemoryRecord> mem = memoryFor(m.workload(), m.device(), m.params());
            rows.add(new OptimizerRow(m.device(), size, kind.id(), kind.passes(), kind.bytesPerParam(), m.medianMs(), m.errorMs(), gbs, fraction, vsSgdm,
                    mem.map(MemoryRecord::stateBytes).orElse(null), mem.map(MemoryRecord::peakBytes).orElse(null),
                    mem.map(MemoryRecord::allocationsPerStep).orElse(null)));
        }
        return rows;
    }

    private List<Measurement> sortedOptimizerMeasurements() {
        return measurements.stream()
                .filter(m -> m.workload().equals(BenchTarget.Workload.OPTIMIZER_STEP.id()))
                .sorted(Comparator.comparing(Measurement::device)
                        .thenComparingLong(m -> Long.parseLong(m.param("size")))
                        .thenComparingInt(m -> StepKind.of(m.param("kind")).reportGroup())
                        .thenComparing(m -> StepKind.of(m.param("kind")).ordinal()))
                .toList();
    }

    private Optional<Double> optimizerTime(String device, long size, StepKind kind) {
        return measurements.stream()
                .filter(m -> m.workload().equals(BenchTarget.Workload.OPTIMIZER_STEP.id()) && m.device().equals(device)
                        && Long.parseLong(m.param("size")) == size && m.param("kind").equals(kind.id()))
                .map(Measurement::medianMs).findFirst();
    }

    private Optional<MemoryRecord> memoryFor(String workload, String device, Map<String, String> params) {
        return memory.stream().filter(r -> r.workload().equals(workload) && r.device().equals(device) && r.params().equals(params))
                .findFirst();
    }

    // ------------------------------------------------------------------ training steps

    public List<TrainRow> trainRows() {
        // one row per (device, model, batch), in the order the models were measured
        Map<List<String>, List<Measurement>> byKey = new LinkedHashMap<>();
        for (Measurement m : measurements) {
            if (!m.workload().equals(BenchTarget.Workload.TRAIN_STEP.id())) continue;
            byKey.computeIfAbsent(List.of(m.device(), m.param("model"), m.param("batch")), k -> new ArrayList<>()).add(m);
        }
        List<TrainRow> rows = new ArrayList<>();
        for (Map.Entry<List<String>, List<Measurement>> e : byKey.entrySet()) {
            String device = e.getKey().get(0), model = e.getKey().get(1), batch = e.getKey().get(2);
            Optional<Measurement> mGrda = trainMeasurement(e.getValue(), StepKind.GRDA), mSgdm = trainMeasurement(e.getValue(), StepKind.SGD_MOMENTUM);
            Double grda = mGrda.map(Measurement::medianMs).orElse(null), sgdm = mSgdm.map(Measurement::medianMs).orElse(null);
            Optional<MemoryRecord> mg = memoryFor(BenchTarget.Workload.TRAIN_STEP.id(), device, trainParams(model, batch, StepKind.GRDA));
            Optional<MemoryRecord> ms = memoryFor(BenchTarget.Workload.TRAIN_STEP.id(), device, trainParams(model, batch, StepKind.SGD_MOMENTUM));
            Long parameters = mg.or(() -> ms).map(MemoryRecord::parameters).orElse(null);
            rows.add(new TrainRow(device, model, Integer.parseInt(batch), parameters, grda, mGrda.map(Measurement::errorMs).orElse(null),
                    sgdm, mSgdm.map(Measurement::errorMs).orElse(null),
                    grda != null && sgdm != null ? grda / sgdm : null,
                    mg.map(MemoryRecord::stateBytes).orElse(null), ms.map(MemoryRecord::stateBytes).orElse(null),
                    mg.map(MemoryRecord::peakBytes).orElse(null), ms.map(MemoryRecord::peakBytes).orElse(null)));
        }
        rows.sort(Comparator.comparing(TrainRow::device));
        return rows;
    }

    private static Optional<Measurement> trainMeasurement(List<Measurement> ms, StepKind kind) {
        return ms.stream().filter(m -> m.param("optimizer").equals(kind.id())).findFirst();
    }

    private static Map<String, String> trainParams(String model, String batch, StepKind kind) {
        return Map.of("model", model, "batch", batch, "optimizer", kind.id());
    }

    // ------------------------------------------------------------------ inference before and after the shrink

    public List<InferenceRow> inferenceRows() {
        String workload = BenchTarget.Workload.INFERENCE.id();
        Map<List<String>, List<Measurement>> byKey = new LinkedHashMap<>();
        for (Measurement m : measurements) {
            if (m.workload().equals(workload)) byKey.computeIfAbsent(List.of(m.device(), m.param("model"), m.param("batch")), k -> new ArrayList<>()).add(m);
        }
        List<InferenceRow> rows = new ArrayList<>();
        for (Map.Entry<List<String>, List<Measurement>> e : byKey.entrySet()) {
            String device = e.getKey().get(0), model = e.getKey().get(1), batch = e.getKey().get(2);
            Optional<Measurement> b = stage(e.getValue(), "before"), a = stage(e.getValue(), "after");
            Double before = b.map(Measurement::medianMs).orElse(null), after = a.map(Measurement::medianMs).orElse(null);
            rows.add(new InferenceRow(device, model, Integer.parseInt(batch), parameters(device, model, batch, "before"),
                    parameters(device, model, batch, "after"), InferenceFixture.macs(model, "before"), InferenceFixture.macs(model, "after"),
                    before, b.map(Measurement::errorMs).orElse(null), after, a.map(Measurement::errorMs).orElse(null),
                    before != null && after != null ? before / after : null));
        }
        rows.sort(Comparator.comparing(InferenceRow::device));
        return rows;
    }

    private static Optional<Measurement> stage(List<Measurement> ms, String stage) {
        return ms.stream().filter(m -> m.param("shrink").equals(stage)).findFirst();
    }

    private Long parameters(String device, String model, String batch, String stage) {
        return memoryFor(BenchTarget.Workload.INFERENCE.id(), device, Map.of("model", model, "batch", batch, "shrink", stage))
                .map(MemoryRecord::parameters).orElse(null);
    }

    // ------------------------------------------------------------------ PyTorch side by side

    /** The GPU side by side; empty without a PyTorch file or for a CPU one (see {@link #pytorchCpu()}). */
    public List<PytorchRow> pytorchRows() {
        if (pytorch == null || pytorch.isCpu()) return List.of();
        Map<String, List<PytorchResults.Row>> byWorkload = new LinkedHashMap<>();
        for (PytorchResults.Row r : pytorch.results()) byWorkload.computeIfAbsent(r.workload(), k -> new ArrayList<>()).add(r);
        List<PytorchRow> rows = new ArrayList<>();
        for (Map.Entry<String, List<PytorchResults.Row>> e : byWorkload.entrySet()) {
            PytorchResults.Row first = e.getValue().getFirst();
            long n = first.params();
            Double javaGrda = optimizerTime(BenchDevice.CUDA.id(), n, StepKind.GRDA).orElse(null);
            Double javaCopy = optimizerTime(BenchDevice.CUDA.id(), n, StepKind.COPY).orElse(null);
            Double fused = torchTime(e.getValue(), PytorchResults.SGD_MOMENTUM_FUSED);
            Double loop = torchTime(e.getValue(), PytorchResults.GRDA_LOOP);
            Double javaSelect = optimizerTime(BenchDevice.CUDA.id(), n, StepKind.SELECT).orElse(null);
            Double topk = torchTime(e.getValue(), PytorchResults.TOPK);
            rows.add(new PytorchRow(e.getKey(), n, first.tensors(), javaGrda, javaCopy,
                    torchTime(e.getValue(), PytorchResults.COPY), loop, fused,
                    torchTime(e.getValue(), PytorchResults.SGD_MOMENTUM_FOREACH),
                    javaGrda != null && fused != null ? javaGrda / fused : null,
                    javaGrda != null && loop != null ? loop / javaGrda : null,
                    javaSelect, topk, javaSelect != null && topk != null ? topk / javaSelect : null));
        }
        return rows;
    }

    /** The CPU side by side, present for a PyTorch file measured on the CPU. */
    public Optional<PytorchCpuComparison> pytorchCpu() {
        return pytorch != null && pytorch.isCpu() ? Optional.of(new PytorchCpuComparison(measurements, memory, pytorch)) : Optional.empty();
    }

    private static Double torchTime(List<PytorchResults.Row> rows, String method) {
        return rows.stream().filter(r -> r.method().equals(method)).map(PytorchResults.Row::medianMs).findFirst().orElse(null);
    }

    // ------------------------------------------------------------------ targets

    public List<Target> targets() {
        List<Target> out = new ArrayList<>();
        List<OptimizerRow> opt = optimizerRows();
        List<TrainRow> train = trainRows();
        for (BenchDevice d : BenchDevice.values()) {
            List<OptimizerRow> grda = opt.stream().filter(r -> r.device().equals(d.id()) && r.kind().equals(StepKind.GRDA.id())).toList();
            List<TrainRow> tr = train.stream().filter(r -> r.device().equals(d.id())).toList();
            if (grda.isEmpty() && tr.isEmpty()) continue;
            if (d == BenchDevice.CPU) {
                // the largest size is the one least helped by caches
                Optional<OptimizerRow> largest = grda.stream().filter(r -> r.fractionOfCopy() != null)
                        .max(Comparator.comparingLong(OptimizerRow::size));
                out.add(atLeast(d, "gRDA step vs copy bandwidth", "gRDA >= 70% of copy bandwidth (largest size)",
                        largest.map(OptimizerRow::fractionOfCopy).orElse(null), CPU_COPY_FRACTION_TARGET,
                        largest.map(r -> "at " + sizeLabel(r.size()) + " parameters").orElse("not measured")));
            } else {
                List<OptimizerRow> large = grda.stream().filter(r -> r.size() >= GPU_LARGE_SIZE && r.fractionOfCopy() != null).toList();
                Optional<OptimizerRow> worst = large.stream().min(Comparator.comparingDouble(OptimizerRow::fractionOfCopy));
                out.add(atLeast(d, "gRDA step vs copy bandwidth", "gRDA >= 85% of copy bandwidth at >= 64M parameters (worst size)",
                        worst.map(OptimizerRow::fractionOfCopy).orElse(null), GPU_COPY_FRACTION_TARGET,
                        worst.map(r -> "worst at " + sizeLabel(r.size()) + " parameters").orElse("not measured")));
            }
            Optional<OptimizerRow> slowest = grda.stream().filter(r -> r.timeVsSgdMomentum() != null)
                    .max(Comparator.comparingDouble(OptimizerRow::timeVsSgdMomentum));
            out.add(atMost(d, "gRDA / SGD-momentum step time", "<= 1.0 at every size (worst size)",
                    slowest.map(OptimizerRow::timeVsSgdMomentum).orElse(null), 1.0,
                    slowest.map(r -> "worst at " + sizeLabel(r.size()) + " parameters").orElse("not measured")));
            Optional<TrainRow> worstTrain = tr.stream().filter(r -> r.grdaOverSgdMomentum() != null)
                    .max(Comparator.comparingDouble(TrainRow::grdaOverSgdMomentum));
            out.add(atMost(d, "training step: gRDA extra time over SGD-momentum", "<= 3% (worst model)",
                    worstTrain.map(r -> r.grdaOverSgdMomentum() - 1).orElse(null), TRAIN_OVERHEAD_TARGET,
                    worstTrain.map(r -> "worst: " + r.model() + " at batch " + r.batch()).orElse("not measured")));
            out.add(stateMemoryTarget(d, opt, tr));
            sdprunTarget(d, opt).ifPresent(out::add);
        }
        pytorchCpu().ifPresent(c -> out.addAll(c.targets()));
        if (pytorch != null && !pytorch.isCpu()) {
            List<PytorchRow> rows = pytorchRows();
            Optional<PytorchRow> worstFused = rows.stream().filter(r -> r.javaGrdaOverTorchFusedSgdMomentum() != null)
                    .max(Comparator.comparingDouble(PytorchRow::javaGrdaOverTorchFusedSgdMomentum));
            out.add(atMost(BenchDevice.CUDA, "Java gRDA / PyTorch fused SGD-momentum step time", "<= 0.85 on the same sizes (worst)",
                    worstFused.map(PytorchRow::javaGrdaOverTorchFusedSgdMomentum).orElse(null), VS_FUSED_SGD_TARGET,
                    worstFused.map(r -> "worst: " + r.workload()).orElse("no matching sizes")));
            Optional<PytorchRow> resnet = rows.stream().filter(r -> r.params() == RESNET50_PARAMS && r.tensors() > 1
                    && r.torchGrdaLoopOverJavaGrda() != null).findFirst();
            out.add(atLeast(BenchDevice.CUDA, "speed-up over per-tensor PyTorch gRDA", ">= 10x on the ResNet-50 shape list",
                    resnet.map(PytorchRow::torchGrdaLoopOverJavaGrda).orElse(null), VS_LOOP_TARGET,
                    resnet.map(r -> r.tensors() + " tensors").orElse("ResNet-50 workload not measured on both sides")));
        }
        return out;
    }

    /**
     * sDprun's step (two passes over each group in one launch) against gRDA's at the same size,
     * from 16M parameters up (issue 12: at most 1.3x on the GPU); only where sDprun was measured.
     */
    private static Optional<Target> sdprunTarget(BenchDevice d, List<OptimizerRow> opt) {
        double worst = Double.NaN;
        long at = 0;
        for (OptimizerRow s : opt) {
            if (!s.device().equals(d.id()) || !s.kind().equals(StepKind.SDPRUN.id()) || s.size() < SDPRUN_LARGE_SIZE) continue;
            for (OptimizerRow g : opt) {
                if (g.device().equals(d.id()) && g.size() == s.size() && g.kind().equals(StepKind.GRDA.id())) {
                    double ratio = s.medianMs() / g.medianMs();
                    if (Double.isNaN(worst) || ratio > worst) {
                        worst = ratio;
                        at = s.size();
                    }
                }
            }
        }
        if (Double.isNaN(worst)) return Optional.empty();
        return Optional.of(atMost(d, "sDprun / gRDA step time", "<= " + SDPRUN_OVER_GRDA_TARGET + " at >= 16M parameters (worst size)",
                worst, SDPRUN_OVER_GRDA_TARGET, "worst at " + sizeLabel(at) + " parameters"));
    }

    /** gRDA keeps one accumulator, SGD-momentum one momentum buffer: the state must be the same size everywhere. */
    private Target stateMemoryTarget(BenchDevice d, List<OptimizerRow> opt, List<TrainRow> train) {
        List<String> unequal = new ArrayList<>();
        double worst = Double.NaN;
        for (OptimizerRow g : opt) {
            if (!g.device().equals(d.id()) || !g.kind().equals(StepKind.GRDA.id()) || g.stateBytes() == null) continue;
            for (OptimizerRow s : opt) {
                if (s.device().equals(d.id()) && s.size() == g.size() && s.kind().equals(StepKind.SGD_MOMENTUM.id()) && s.stateBytes() != null) {
                    worst = worse(worst, (double) g.stateBytes() / s.stateBytes());
                    if (!s.stateBytes().equals(g.stateBytes())) unequal.add(sizeLabel(g.size()));
                }
            }
        }
        for (TrainRow t : train) {
            if (!t.device().equals(d.id()) || t.grdaStateBytes() == null || t.sgdMomentumStateBytes() == null) continue;
            worst = worse(worst, (double) t.grdaStateBytes() / t.sgdMomentumStateBytes());
            if (!t.grdaStateBytes().equals(t.sgdMomentumStateBytes())) unequal.add(t.model());
        }
        boolean measured = !Double.isNaN(worst);
        return new Target(d.id(), "optimizer state bytes: gRDA / SGD-momentum", "= 1 (one buffer each; largest ratio)",
                measured ? worst : null, measured ? unequal.isEmpty() : null,
                !measured ? "not measured" : unequal.isEmpty() ? "equal everywhere" : "differs at " + unequal);
    }

    /** The ratio farther from 1. */
    private static double worse(double a, double b) {
        if (Double.isNaN(a)) return b;
        return Math.abs(b - 1) > Math.abs(a - 1) ? b : a;
    }

    private static Target atLeast(BenchDevice d, String name, String goal, Double measured, double bound, String detail) {
        return new Target(d.id(), name, goal, measured, measured == null ? null : measured >= bound, detail);
    }

    private static Target atMost(BenchDevice d, String name, String goal, Double measured, double bound, String detail) {
        return new Target(d.id(), name, goal, measured, measured == null ? null : measured <= bound, detail);
    }

    // ------------------------------------------------------------------ rendering

    /** Context printed above the tables: when, where, how. */
    public record Context(String mode, String date, Map<String, String> machine, Map<String, String> skipped, List<String> notes) {
        public Context {
            machine = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(machine));
            skipped = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(skipped));
            notes = List.copyOf(notes);
        }
    }

    public String markdown(Context ctx) {
        StringBuilder sb = new StringBuilder();
        sb.append("# sparsestep bench (").append(ctx.mode()).append(", ").append(ctx.date()).append(")\n\n");
        ctx.machine().forEach((k, v) -> sb.append("- ").append(k).append(": ").append(v).append('\n'));
        for (Map.Entry<String, String> e : ctx.skipped().entrySet()) sb.append("- ").append(e.getKey()).append(" skipped: ").append(e.getValue()).append('\n');
        for (String n : ctx.notes()) sb.append("- note: ").append(n).append('\n');
        sb.append('\n');

        sb.append("## Optimizer step on a flat buffer\n\n");
        sb.append("Bytes per parameter (fp32, each operand once): ").append(bytesPerParamLine()).append(". "
                + "Passes = sweeps over the parameter-sized buffers per step. "
                + "GB/s = bytes/param x params / median time; 'of copy' = that over the copy's GB/s at the same size and device; "
                + "± = JMH's 99.9% confidence half-width of the mean. gsm-step and masked-sgd-step time the fused op alone "
                + "(StepOps.gsm at a precomputed threshold selecting 5%, StepOps.maskedSgd under a 5% mask), without a selection.\n\n");
        sb.append("| device | params | step | passes | B/param | median ms | ± ms | GB/s | of copy | time / SGD-m | state MiB | peak MiB | allocs/step |\n");
        sb.append("|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        for (OptimizerRow r : optimizerRows()) {
            sb.append(String.format(Locale.ROOT, "| %s | %s | %s | %d | %d | %s | %s | %.1f | %s | %s | %s | %s | %s |\n",
                    r.device(), sizeLabel(r.size()), r.kind(), r.passes(), r.bytesPerParam(), ms(r.medianMs()), ms(r.errorMs()), r.gbPerSecond(),
                    fixed(r.fractionOfCopy(), 2), fixed(r.timeVsSgdMomentum(), 3), mib(r.stateBytes()), mib(r.peakBytes()),
                    r.allocationsPerStep() == null ? "-" : r.allocationsPerStep().toString()));
        }
        sb.append('\n');

        sb.append("## Training step (forward + backward + optimizer)\n\n");
        sb.append("| device | model | batch | params | gRDA ms | ± ms | SGD-m ms | ± ms | gRDA / SGD-m | gRDA state MiB | SGD-m state MiB | gRDA peak MiB | SGD-m peak MiB |\n");
        sb.append("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        for (TrainRow r : trainRows()) {
            sb.append(String.format(Locale.ROOT, "| %s | %s | %d | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n",
                    r.device(), r.model(), r.batch(), count(r.parameters()),
                    ms(r.grdaMs()), ms(r.grdaErrorMs()), ms(r.sgdMomentumMs()), ms(r.sgdMomentumErrorMs()), fixed(r.grdaOverSgdMomentum(), 3),
                    mib(r.grdaStateBytes()), mib(r.sgdMomentumStateBytes()), mib(r.grdaPeakBytes()), mib(r.sgdMomentumPeakBytes())));
        }
        sb.append('\n');

        List<InferenceRow> inference = inferenceRows();
        if (!inference.isEmpty()) {
            sb.append("## Inference: one batch in evaluation mode, before and after `shrink`\n\n");
            sb.append("Before: the full model with the channels of Li et al.'s pruned architecture (VGG-16-A, ResNet-56-B) zeroed; "
                    + "after: the smaller network `shrink` makes of it (the same logits). MACs: conv and linear multiply-adds per sample.\n\n");
            sb.append("| device | model | batch | params before | params after | MACs before | MACs after | before ms | ± ms | after ms | ± ms | speed-up |\n");
            sb.append("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
            for (InferenceRow r : inference) {
                sb.append(String.format(Locale.ROOT, "| %s | %s | %d | %s | %s | %,d | %,d | %s | %s | %s | %s | %s |\n",
                        r.device(), r.model(), r.batch(), count(r.parametersBefore()), count(r.parametersAfter()), r.macsBefore(), r.macsAfter(),
                        ms(r.beforeMs()), ms(r.beforeErrorMs()), ms(r.afterMs()), ms(r.afterErrorMs()), fixed(r.speedup(), 2)));
            }
            sb.append('\n');
        }

        List<PytorchRow> py = pytorchRows();
        if (!py.isEmpty()) {
            sb.append("## GPU: Java fused step next to PyTorch (").append(Objects.requireNonNullElse(pytorch.device(), "?"))
                    .append(", torch ").append(Objects.requireNonNullElse(pytorch.torch(), "?")).append(")\n\n");
            sb.append("| workload | params | tensors | Java gRDA ms | Java copy ms | torch copy ms | torch gRDA loop ms | torch SGD-m fused ms | torch SGD-m foreach ms | Java gRDA / fused SGD-m | loop gRDA / Java gRDA | Java select ms | torch topk ms | topk / Java select |\n");
            sb.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
            for (PytorchRow r : py) {
                sb.append(String.format(Locale.ROOT, "| %s | %s | %d | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n",
                        r.workload(), sizeLabel(r.params()), r.tensors(), ms(r.javaGrdaMs()), ms(r.javaCopyMs()), ms(r.torchCopyMs()),
                        ms(r.torchGrdaLoopMs()), ms(r.torchSgdMomentumFusedMs()), ms(r.torchSgdMomentumForeachMs()),
                        fixed(r.javaGrdaOverTorchFusedSgdMomentum(), 3), fixed(r.torchGrdaLoopOverJavaGrda(), 1),
                        ms(r.javaSelectMs()), ms(r.torchTopkMs()), fixed(r.torchTopkOverJavaSelect(), 2)));
            }
            sb.append('\n');
        }
        pytorchCpu().ifPresent(c -> sb.append(c.markdown()));

        sb.append("## Targets\n\n| device | target | goal | measured | status | detail |\n|---|---|---|---:|---|---|\n");
        for (Target t : targets()) {
            sb.append(String.format(Locale.ROOT, "| %s | %s | %s | %s | %s | %s |\n", t.device(), t.name(), t.goal(),
                    fixed(t.measured(), 3), t.met() == null ? "not measured" : t.met() ? "met" : "MISSED", t.detail()));
        }
        return sb.toString();
    }

    /** Everything in the markdown, as a JSON-ready map (Jackson writes records as objects). */
    public Map<String, Object> summary(Context ctx) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("mode", ctx.mode());
        out.put("date", ctx.date());
        out.put("machine", ctx.machine());
        out.put("skipped", ctx.skipped());
        out.put("notes", ctx.notes());
        Map<String, Integer> bytes = new LinkedHashMap<>(), passes = new LinkedHashMap<>();
        for (StepKind k : StepKind.values()) {
            bytes.put(k.id(), k.bytesPerParam());
            passes.put(k.id(), k.passes());
        }
        out.put("bytes_per_param", bytes);
        out.put("passes", passes);
        out.put("optimizer_steps", optimizerRows());
        out.put("train_steps", trainRows());
        out.put("inference", inferenceRows());
        out.put("pytorch", pytorchRows());
        pytorchCpu().ifPresent(c -> {
            out.put("pytorch_cpu", c.pairs());
            out.put("pytorch_cpu_without_peer", Map.of("sparsestep", c.sparsestepWithoutPeer(), "pytorch", c.pytorchWithoutPeer()));
        });
        out.put("targets", targets());
        out.put("measurements", measurements);
        out.put("memory", memory);
        return out;
    }

    /** "copy 8, grda 16, ..." for every kind, in report order. */
    private static String bytesPerParamLine() {
        return java.util.Arrays.stream(StepKind.values()).sorted(Comparator.comparingInt(StepKind::reportGroup))
                .map(k -> k.id() + " " + k.bytesPerParam()).collect(java.util.stream.Collectors.joining(", "));
    }

    /** 1048576 -> "1M"; other counts with thousands separators. */
    static String sizeLabel(long n) {
        if (n % (1L << 20) == 0) return (n >> 20) + "M";
        return String.format(Locale.ROOT, "%,d", n);
    }

    static String ms(Double v) {
        if (v == null) return "-";
        if (v < 1) return String.format(Locale.ROOT, "%.4f", v);
        if (v < 100) return String.format(Locale.ROOT, "%.3f", v);
        return String.format(Locale.ROOT, "%.1f", v);
    }

    static String count(Long n) {
        return n == null ? "-" : String.format(Locale.ROOT, "%,d", n);
    }

    static String fixed(Double v, int decimals) {
        return v == null ? "-" : String.format(Locale.ROOT, "%." + decimals + "f", v);
    }

    static String mib(Long bytes) {
        return bytes == null ? "-" : String.format(Locale.ROOT, "%.1f", bytes / (1024.0 * 1024.0));
    }
}
