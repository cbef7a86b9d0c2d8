package io.sparsestep.bench;

import io.sparsestep.backend.Backend;
import io.sparsestep.nn.Architecture;
import io.sparsestep.nn.ModelCost;
import io.sparsestep.nn.ModelGraph;
import io.sparsestep.nn.Models;
import io.sparsestep.nn.Network;
import io.sparsestep.shrink.HostTensor;
import io.sparsestep.shrink.HostTensors;
import io.sparsestep.shrink.Shrink;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * One batch through a network in evaluation mode, before or after {@code shrink}: "before"
 * is the full model with the filters of a pruned architecture's dropped channels exactly zero
 * (the last ones of each layer, with their batch norm's scale and shift: what a structured
 * method leaves), "after" the smaller network the shrink makes of those weights, which is
 * that architecture. VGG-16 is pruned to VGG-16-A, ResNet-56 to ResNet-56-B (Li et al.).
 * Weights are the seeded initialisation; the batch is uploaded once. The backend is borrowed.
 */
public final class InferenceFixture implements AutoCloseable {
    private static final int CLASSES = 10;
    private static final int[] INPUT = {3, 32, 32};

    private final Network net;
    private final int batch;

    private InferenceFixture(Backend backend, String model, int batch, String stage, long seed) {
        if (batch <= 0) throw new IllegalArgumentException("benchmark batch size must be positive, got " + batch);
        boolean after = switch (stage) {
            case "before" -> false;
            case "after" -> true;
            default -> throw new IllegalArgumentException("inference stage must be before or after (the shrink), got '" + stage + "'");
        };
        this.batch = batch;
        Architecture full = Architecture.defaults(model), pruned = pruned(model);
        LinkedHashMap<String, HostTensor> tensors;
        try (Network init = Network.build(model, backend, Models.create(full, INPUT, CLASSES), INPUT, CLASSES, 1, seed)) {
            tensors = HostTensors.of(init);
        }
        ModelGraph g = ModelGraph.of(Models.create(full, INPUT, CLASSES), INPUT);
        for (Map.Entry<String, Integer> e : pruned.widths().entrySet()) {
            for (int c = e.getValue(); c < full.width(e.getKey()); c++) Shrink.zeroChannel(g, tensors, e.getKey(), c);
        }
        Architecture arch = full;
        if (after) {
            Shrink.Result r = Shrink.apply(full, INPUT, CLASSES, tensors, "the benchmark's " + model);
            if (!r.after().equals(pruned)) throw new IllegalStateException("shrink made " + r.after().widths() + ", not " + pruned.widths());
            arch = r.after();
            tensors = r.tensors();
        }
        net = Network.build(model, backend, Models.create(arch, INPUT, CLASSES), INPUT, CLASSES, batch, seed);
        HostTensors.load(net, tensors);
        SeededBatch.upload(net, batch, new SplittableRandom(seed ^ 0x5DEECE66DL));
    }

    public static InferenceFixture open(Backend backend, String model, int batch, String stage, long seed) {
        return new InferenceFixture(backend, model, batch, stage, seed);
    }

    /** The pruned architecture a model is benchmarked at. */
    static Architecture pruned(String model) {
        return switch (model) {
            case "vgg16" -> Architecture.preset("vgg16-a");
            case "resnet56" -> Architecture.preset("resnet56-b");
            default -> throw new IllegalArgumentException("the inference benchmark runs vgg16 or resnet56 (pruned as Li et al.), got '" + model + "'");
        };
    }

    /** The architecture of a stage ("before": the full model, "after": the pruned one). */
    static Architecture architecture(String model, String stage) {
        return stage.equals("after") ? pruned(model) : Architecture.defaults(model);
    }

    /** Multiply-adds per sample of a stage, on the benchmark's CIFAR-sized input. */
    static long macs(String model, String stage) { return ModelCost.of(architecture(model, stage), INPUT, CLASSES).macs(); }

    /** One evaluation-mode forward pass of the batch (asynchronous on a GPU backend). */
    public void forward() { net.forward(batch, false); }

    /** One more forward pass and its logits, [batch, classes] (waits for the backend). */
    public float[] logits() { return SeededBatch.logits(net, batch, CLASSES); }

    public Network network() { return net; }

    @Override
    public void close() { net.close(); }
}
