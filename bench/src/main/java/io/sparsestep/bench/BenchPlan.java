package io.sparsestep.bench;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What {@code sparsestep bench} runs. The quick plan finishes in a few minutes on a
 * two-core machine: one fork, short iterations, and VGG-16 on the CPU at batch
 * {@value #QUICK_CPU_VGG_BATCH} instead of 128 (a CPU step at 128 takes seconds). The full
 * plan uses two forks, longer iterations, batch 128 everywhere and a larger CPU size.
 */
public record BenchPlan(String mode, List<BenchRun> runs, List<String> notes) {
    static final int QUICK_CPU_VGG_BATCH = 16;
    /** Models of the inference rows, each before and after the shrink to a pruned architecture of Li et al. */
    static final List<String> INFERENCE_MODELS = List.of("vgg16", "resnet56");

    /** Flat sizes: 2^20, 2^24, 2^26 (and 2^27, 2^28) parameters. */
    static final String M1 = "1048576", M16 = "16777216", M64 = "67108864", M128 = "134217728", M256 = "268435456";
    /** Flat buffers as large as ResNet-50 and VGG-16 (ImageNet, torchvision), for the side-by-side with PyTorch. */
    static final String RESNET50 = "25557032", VGG16 = "138357544";

    static final List<String> STEP_KINDS = List.of("copy", "grda", "sgd", "sgd-momentum", "gsm", "gmp", "sdprun", "select");
    /** The op-level kinds (one fused op each, no method), run in every optimizer-step run after STEP_KINDS. */
    static final List<String> OP_STEP_KINDS = List.of("gsm-step", "masked-sgd-step");
    static final List<String> TRAIN_OPTIMIZERS = List.of("grda", "sgd-momentum", "gmp");

    public BenchPlan {
        runs = List.copyOf(runs);
        notes = List.copyOf(notes);
    }

    public static BenchPlan quick(Set<BenchDevice> devices) {
        List<BenchRun> runs = new ArrayList<>();
        List<String> notes = new ArrayList<>();
        // Warm-up counts come from watching the JIT settle on a 2-core machine: the fused
        // steps are compiled after about a second, the convolutions of LeNet-5 after ~5 s.
        if (devices.contains(BenchDevice.CPU)) {
            runs.add(optimizer(BenchTarget.CPU_OPTIMIZER_STEP, List.of(M1, M16, M64), 1, 4, ms(500), 8, ms(500)));
            runs.add(train(BenchTarget.CPU_TRAIN_STEP, List.of("lenet300", "lenet5"), "128", 1, 8, ms(1000), 5, ms(1000)));
            runs.add(train(BenchTarget.CPU_TRAIN_STEP, List.of("vgg16"), Integer.toString(QUICK_CPU_VGG_BATCH), 1, 5, ms(1000), 5, ms(1000)));
            runs.add(inference(BenchTarget.CPU_INFERENCE, Integer.toString(QUICK_CPU_VGG_BATCH), 1, 2, ms(1000), 3, ms(1000)));
            notes.add("quick plan: CPU VGG-16 runs at batch " + QUICK_CPU_VGG_BATCH + " (not 128) so the run takes minutes; use --full for batch 128");
            notes.add("quick plan: CPU inference (VGG-16, ResNet-56 before and after the shrink) runs at batch " + QUICK_CPU_VGG_BATCH);
        }
        if (devices.contains(BenchDevice.CUDA)) {
            runs.add(optimizer(BenchTarget.CUDA_OPTIMIZER_STEP, List.of(M1, M16, M64, M256, RESNET50, VGG16), 1, 4, ms(500), 7, ms(500)));
            runs.add(train(BenchTarget.CUDA_TRAIN_STEP, List.of("lenet300", "lenet5", "vgg16"), "128", 1, 5, ms(1000), 5, ms(1000)));
            runs.add(inference(BenchTarget.CUDA_INFERENCE, "128", 1, 3, ms(1000), 5, ms(1000)));
        }
        return new BenchPlan("quick", runs, notes);
    }

    public static BenchPlan full(Set<BenchDevice> devices) {
        List<BenchRun> runs = new ArrayList<>();
        if (devices.contains(BenchDevice.CPU)) {
            runs.add(optimizer(BenchTarget.CPU_OPTIMIZER_STEP, List.of(M1, M16, M64, M128), 2, 5, ms(1000), 5, ms(1000)));
            // a VGG-16 step at batch 128 takes seconds on two cores: each iteration is one step
            runs.add(train(BenchTarget.CPU_TRAIN_STEP, List.of("lenet300", "lenet5", "vgg16"), "128", 2, 10, ms(1000), 5, ms(2000)));
            runs.add(inference(BenchTarget.CPU_INFERENCE, "128", 2, 3, ms(2000), 5, ms(2000)));
        }
        if (devices.contains(BenchDevice.CUDA)) {
            runs.add(optimizer(BenchTarget.CUDA_OPTIMIZER_STEP, List.of(M1, M16, M64, M256, RESNET50, VGG16), 2, 5, ms(1000), 10, ms(1000)));
            runs.add(train(BenchTarget.CUDA_TRAIN_STEP, List.of("lenet300", "lenet5", "vgg16"), "128", 2, 5, ms(1000), 10, ms(1000)));
            runs.add(inference(BenchTarget.CUDA_INFERENCE, "128", 2, 5, ms(1000), 10, ms(1000)));
        }
        return new BenchPlan("full", runs, List.of());
    }

    /**
     * Exactly the configurations that have a peer in {@code torch}, on its device, at the quick
     * plan's iteration counts (CPU training steps: {@link #CPU_PEER_TRAIN_WARMUPS} warm-up and
     * {@link #CPU_PEER_TRAIN_ITERATIONS} timed seconds): its flat parameter counts x the sparsestep kinds its optimizer
     * methods are peers of, and per batch its models x the optimizers of its training steps.
     * ResNet-20 and VGG-16 at batch 128 take seconds per CPU step, so this is the plan for a
     * side-by-side with a PyTorch-CPU file (the quick plan has neither at 128).
     */
    /**
     * Warm-up seconds of a CPU training step in the side-by-side: the JIT needs them. On the
     * 2-core machine (2026-12-02) a ResNet-20 step at batch 128 took 353-400 ms over steps
     * 10-30 and settled at 325-340 ms after about 30 steps (10 s); a VGG-16 step took 13.8 s
     * (the first), 3.0, 3.0, 1.9 s, then 1.5-1.8 s up to step 10 and 1.3-1.6 s after. With 8
     * one-second warm-ups VGG-16 got 8 steps and was timed on steps 9-13, inside that tail.
     * PyTorch's steps need no compiling (its warm-up is 3 steps).
     */
    static final int CPU_PEER_TRAIN_WARMUPS = 20;
    /** Timed one-second iterations of a CPU training step in the side-by-side (VGG-16: one step each). */
    static final int CPU_PEER_TRAIN_ITERATIONS = 8;

    public static BenchPlan peers(PytorchResults torch) {
        BenchDevice device = torch.isCpu() ? BenchDevice.CPU : BenchDevice.CUDA;
        boolean cpu = device == BenchDevice.CPU;
        java.util.TreeSet<Long> sizes = new java.util.TreeSet<>();
        java.util.EnumSet<StepKind> kinds = java.util.EnumSet.noneOf(StepKind.class);
        Map<Integer, java.util.LinkedHashSet<String>> models = new java.util.TreeMap<>();
        java.util.EnumSet<StepKind> trainKinds = java.util.EnumSet.noneOf(StepKind.class);
        for (PytorchResults.Row r : torch.results()) {
            if (r.peerKind().isEmpty()) continue;
            if (r.isTrainStep()) {
                models.computeIfAbsent(r.batch(), b -> new java.util.LinkedHashSet<>()).add(r.model());
                trainKinds.add(r.peerKind().get());
            } else {
                sizes.add(r.params());
                kinds.add(r.peerKind().get());
            }
        }
        List<BenchRun> runs = new ArrayList<>();
        if (!sizes.isEmpty()) {
            Map<String, List<String>> p = new LinkedHashMap<>();
            p.put("size", sizes.stream().map(String::valueOf).toList());
            p.put("kind", kinds.stream().map(StepKind::id).toList());
            runs.add(cpu ? new BenchRun(BenchTarget.CPU_OPTIMIZER_STEP, p, 1, 4, ms(500), 8, ms(500))
                    : new BenchRun(BenchTarget.CUDA_OPTIMIZER_STEP, p, 1, 4, ms(500), 7, ms(500)));
        }
        models.forEach((batch, ids) -> {
            Map<String, List<String>> p = new LinkedHashMap<>();
            p.put("model", List.copyOf(ids));
            p.put("batch", List.of(batch.toString()));
            p.put("optimizer", trainKinds.stream().map(StepKind::id).toList());
            runs.add(cpu ? new BenchRun(BenchTarget.CPU_TRAIN_STEP, p, 1, CPU_PEER_TRAIN_WARMUPS, ms(1000), CPU_PEER_TRAIN_ITERATIONS, ms(1000))
                    : new BenchRun(BenchTarget.CUDA_TRAIN_STEP, p, 1, 5, ms(1000), 5, ms(1000)));
        });
        return new BenchPlan("peers", runs, List.of("peers plan: only the " + device.id() + " configurations with a peer in the PyTorch file"));
    }

    static BenchRun optimizer(BenchTarget t, List<String> sizes, int forks, int warmups, Duration warmupTime,
                              int iterations, Duration iterationTime) {
        Map<String, List<String>> p = new LinkedHashMap<>();
        p.put("size", sizes);
        p.put("kind", java.util.stream.Stream.concat(STEP_KINDS.stream(), OP_STEP_KINDS.stream()).toList());
        return new BenchRun(t, p, forks, warmups, warmupTime, iterations, iterationTime);
    }

    static BenchRun train(BenchTarget t, List<String> models, String batch, int forks, int warmups, Duration warmupTime,
                          int iterations, Duration iterationTime) {
        Map<String, List<String>> p = new LinkedHashMap<>();
        p.put("model", models);
        p.put("batch", List.of(batch));
        p.put("optimizer", TRAIN_OPTIMIZERS);
        return new BenchRun(t, p, forks, warmups, warmupTime, iterations, iterationTime);
    }

    static BenchRun inference(BenchTarget t, String batch, int forks, int warmups, Duration warmupTime, int iterations, Duration iterationTime) {
        Map<String, List<String>> p = new LinkedHashMap<>();
        p.put("model", INFERENCE_MODELS);
        p.put("batch", List.of(batch));
        p.put("shrink", List.of("before", "after"));
        return new BenchRun(t, p, forks, warmups, warmupTime, iterations, iterationTime);
    }

    private static Duration ms(long millis) { return Duration.ofMillis(millis); }
}
