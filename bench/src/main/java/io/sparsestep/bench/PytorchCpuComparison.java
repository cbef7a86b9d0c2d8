package io.sparsestep.bench;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * sparsestep's CPU rows next to PyTorch-CPU's from {@code bench_pytorch.py --device cpu} on the
 * same machine, as ratios sparsestep / PyTorch (below 1: sparsestep is faster). A PyTorch row
 * is paired with the sparsestep row of its peer kind ({@link PytorchResults.Row#peerKind}): a
 * flat optimizer step with the CPU optimizer step of the same parameter count, a training
 * step with the CPU training step of the same model, batch and optimizer (SGD-momentum).
 * Rows of either side without a peer are listed, not dropped. Only the optimizer steps and
 * the training steps are judged against the bound (&lt; 1.0); the copy (a bandwidth
 * baseline) and select against topk (a part of GSM's step) are shown unjudged.
 */
public final class PytorchCpuComparison {
    static final double RATIO_TARGET = 1.0;
    static final String OPTIMIZER = "optimizer step", TRAINING = "training step";

    /**
     * One pair: what is compared ({@link #OPTIMIZER} or {@link #TRAINING}), on what (the flat
     * size, or model and batch), the sparsestep kind and its median, the PyTorch method and
     * its median, their ratio, whether a target judges it, and a note (parameter counts that
     * differ; a shape list against a flat buffer), empty when there is nothing to say.
     */
    public record Pair(String what, String workload, String sparsestep, double sparsestepMs, String pytorch, double pytorchMs,
                       double sparsestepOverPytorch, boolean judged, String note) {}

    private final List<Pair> pairs = new ArrayList<>();
    private final List<String> pytorchWithoutPeer = new ArrayList<>();
    private final List<String> sparsestepWithoutPeer;
    private final PytorchResults pytorch;

    /** Pairs {@code pytorch}'s rows with the CPU rows among {@code measurements} ({@code memory} gives the models' parameter counts). */
    public PytorchCpuComparison(List<Measurement> measurements, List<MemoryRecord> memory, PytorchResults pytorch) {
        this.pytorch = Objects.requireNonNull(pytorch);
        String cpu = BenchDevice.CPU.id();
        List<Measurement> ours = measurements.stream().filter(m -> m.device().equals(cpu)
                && (isOptimizerStep(m) || isTrainStep(m))).toList();
        Set<Measurement> used = new LinkedHashSet<>();
        for (PytorchResults.Row r : pytorch.results()) {
            Optional<StepKind> kind = r.peerKind();
            Optional<Measurement> peer = kind.flatMap(k -> ours.stream().filter(m -> isPeer(m, r, k)).findFirst());
            if (peer.isEmpty()) {
                pytorchWithoutPeer.add(r.method() + " on " + label(r));
                continue;
            }
            Measurement m = peer.get();
            used.add(m);
            pairs.add(new Pair(r.isTrainStep() ? TRAINING : OPTIMIZER, label(r), kind.get().id(), m.medianMs(), r.method(), r.medianMs(),
                    m.medianMs() / r.medianMs(), r.isTrainStep() || kind.get().isOptimizer(), note(r, m, memory)));
        }
        sparsestepWithoutPeer = unpaired(ours, used);
    }

    private static boolean isOptimizerStep(Measurement m) {
        return m.workload().equals(BenchTarget.Workload.OPTIMIZER_STEP.id());
    }

    private static boolean isTrainStep(Measurement m) {
        return m.workload().equals(BenchTarget.Workload.TRAIN_STEP.id());
    }

    private static boolean isPeer(Measurement m, PytorchResults.Row r, StepKind kind) {
        if (r.isTrainStep()) {
            return isTrainStep(m) && m.param("model").equals(r.model()) && m.param("batch").equals(Integer.toString(r.batch()))
                    && m.param("optimizer").equals(kind.id());
        }
        return isOptimizerStep(m) && Long.parseLong(m.param("size")) == r.params() && m.param("kind").equals(kind.id());
    }

    /** "16M" for a flat row; "resnet50 (25,557,032 in 161 tensors)" for a shape list; "lenet5, batch 128" for a training step. */
    private static String label(PytorchResults.Row r) {
        if (r.isTrainStep()) return r.model() + ", batch " + r.batch();
        return r.tensors() == 1 ? BenchReport.sizeLabel(r.params())
                : r.workload() + " (" + BenchReport.sizeLabel(r.params()) + " in " + r.tensors() + " tensors)";
    }

    /** What a reader must know to trust the pair: a model whose two definitions disagree in size, or a shape list against one buffer. */
    private static String note(PytorchResults.Row r, Measurement m, List<MemoryRecord> memory) {
        if (!r.isTrainStep()) return r.tensors() == 1 ? "" : "PyTorch steps " + r.tensors() + " tensors, sparsestep one flat buffer";
        Optional<Long> ours = memory.stream().filter(x -> x.workload().equals(m.workload()) && x.device().equals(m.device())
                && x.params().equals(m.params())).map(MemoryRecord::parameters).findFirst();
        if (ours.isEmpty()) return "sparsestep's parameter count not probed";
        return ours.get() == r.params() ? "" : String.format(Locale.ROOT, "parameter counts differ: sparsestep %,d, PyTorch %,d", ours.get(), r.params());
    }

    /** The sparsestep rows no PyTorch row was paired with, one entry per kind: "optimizer step sgd at 1M, 16M, 64M". */
    private static List<String> unpaired(List<Measurement> ours, Set<Measurement> used) {
        Map<String, List<String>> byKind = new LinkedHashMap<>();
        ours.stream().filter(m -> !used.contains(m))
                .sorted(Comparator.comparing(Measurement::workload).thenComparing(m -> isOptimizerStep(m) ? m.param("kind") : m.param("optimizer")))
                .forEach(m -> {
                    if (isOptimizerStep(m)) {
                        byKind.computeIfAbsent(OPTIMIZER + " " + m.param("kind"), k -> new ArrayList<>())
                                .add(BenchReport.sizeLabel(Long.parseLong(m.param("size"))));
                    } else {
                        byKind.computeIfAbsent(TRAINING + " " + m.param("optimizer"), k -> new ArrayList<>())
                                .add(m.param("model") + " at batch " + m.param("batch"));
                    }
                });
        List<String> out = new ArrayList<>();
        byKind.forEach((k, v) -> out.add(k + " (" + String.join(", ", v) + ")"));
        return out;
    }

    public List<Pair> pairs() { return List.copyOf(pairs); }

    /** PyTorch rows with no sparsestep row of the same work in this run: "train_sgd_momentum on resnet20, batch 128". */
    public List<String> pytorchWithoutPeer() { return List.copyOf(pytorchWithoutPeer); }

    /** sparsestep CPU rows (optimizer and training steps) with no PyTorch row of the same work. */
    public List<String> sparsestepWithoutPeer() { return List.copyOf(sparsestepWithoutPeer); }

    /** The two CPU targets: sparsestep / PyTorch below 1.0 on every judged optimizer-step row and training-step row. */
    public List<BenchReport.Target> targets() {
        return List.of(worst(OPTIMIZER, "sparsestep / PyTorch-CPU, optimizer steps (gRDA, SGD-momentum)"),
                worst(TRAINING, "sparsestep / PyTorch-CPU, training steps"));
    }

    private BenchReport.Target worst(String what, String name) {
        Optional<Pair> worst = pairs.stream().filter(p -> p.judged() && p.what().equals(what))
                .max(Comparator.comparingDouble(Pair::sparsestepOverPytorch));
        Double measured = worst.map(Pair::sparsestepOverPytorch).orElse(null);
        return new BenchReport.Target(BenchDevice.CPU.id(), name, "< 1.0 on every paired row (worst)", measured,
                measured == null ? null : measured < RATIO_TARGET,
                worst.map(p -> "worst: " + p.sparsestep() + " on " + p.workload() + " against " + p.pytorch())
                        .orElse("no paired rows"));
    }

    /** The side-by-side section of results.md. */
    public String markdown() {
        StringBuilder sb = new StringBuilder();
        sb.append("## CPU: sparsestep next to PyTorch (").append(pytorch.device()).append(", torch ")
                .append(Objects.requireNonNullElse(pytorch.torch(), "?")).append(", ")
                .append(threads(pytorch.intraOpThreads())).append(" intra-op / ").append(threads(pytorch.interOpThreads()))
                .append(" inter-op threads)\n\n");
        sb.append("Each PyTorch-CPU row next to this run's CPU row of the same work: a flat step on the same parameter count "
                + "(copy / copy, gRDA / per-tensor gRDA loop, SGD-momentum / foreach SGD-momentum, select / topk of the same "
                + "k-th largest |g*w|), a training step of the same model at the same batch with SGD-momentum. Ratio = "
                + "sparsestep median / PyTorch median (below 1: sparsestep faster). Judged: the optimizer and training steps; "
                + "the copy and select / topk are shown, not judged.\n\n");
        sb.append("| what | workload | sparsestep | sparsestep ms | PyTorch | PyTorch ms | sparsestep / PyTorch | note |\n");
        sb.append("|---|---|---|---:|---|---:|---:|---|\n");
        for (Pair p : pairs) {
            sb.append(String.format(Locale.ROOT, "| %s | %s | %s | %s | %s | %s | %.3f | %s |\n", p.what(), p.workload(), p.sparsestep(),
                    BenchReport.ms(p.sparsestepMs()), p.pytorch(), BenchReport.ms(p.pytorchMs()), p.sparsestepOverPytorch(),
                    p.judged() ? p.note() : join("not judged", p.note())));
        }
        sb.append('\n');
        sb.append("- sparsestep rows without a PyTorch peer: ").append(listOrNone(sparsestepWithoutPeer)).append('\n');
        sb.append("- PyTorch rows without a sparsestep peer in this run: ").append(listOrNone(pytorchWithoutPeer))
                .append(pytorchWithoutPeer.isEmpty() ? "" : " (`--peers-only` runs exactly the file's rows)").append("\n\n");
        return sb.toString();
    }

    private static String threads(Integer n) {
        return n == null ? "?" : n.toString();
    }

    private static String join(String a, String b) {
        return b.isEmpty() ? a : a + "; " + b;
    }

    private static String listOrNone(List<String> items) {
        return items.isEmpty() ? "none" : String.join("; ", items);
    }
}
