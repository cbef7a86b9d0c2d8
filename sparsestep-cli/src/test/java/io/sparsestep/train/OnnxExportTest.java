package io.sparsestep.train;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import io.sparsestep.backend.Backend;
import io.sparsestep.cli.Main;
import io.sparsestep.data.BatchLoader;
import io.sparsestep.data.DatasetSplit;
import io.sparsestep.data.Datasets;
import io.sparsestep.data.Normalization;
import io.sparsestep.data.TrainTest;
import io.sparsestep.devices.Backends;
import io.sparsestep.nn.Architecture;
import io.sparsestep.store.NetworkTensors;
import io.sparsestep.nn.ModelGraph;
import io.sparsestep.nn.Models;
import io.sparsestep.nn.Network;
import io.sparsestep.shrink.HostTensor;
import io.sparsestep.shrink.Shrink;
import io.sparsestep.store.FloatTensorData;
import io.sparsestep.store.Safetensors;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.PrintStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every ONNX export, run by ONNX Runtime, gives sparsestep's own logits: LeNet-300-100,
 * LeNet-5 and ResNet-20 after a short training run, with units nobody reads and zero filters
 * planted in their weights (what pruning leaves), exported as trained and shrunk, each with
 * dense and sparse initializers. Logits agree to 1e-4 (printed: the largest difference) and
 * the accuracy on the test images is equal; the shrunk file is smaller and has the planted
 * units removed; the sparse initializers hold the 86% sparse classifier; the normalisation
 * in the graph is the recorded one.
 */
class OnnxExportTest {
    static final double TOLERANCE = 1e-4;
    static final int TEST = 64;

    @ParameterizedTest
    @CsvSource({"lenet300,synth-digits", "lenet5,synth-digits", "resnet20,synth-cifar"})
    void onnxRuntimeGivesOurLogits(String model, String dataset, @TempDir Path dir) throws Exception {
        Path run = dir.resolve("run");
        PrintStream out = System.out;
        int code = Main.execute("train", "--model", model, "--dataset", dataset, "--method", "grda", "--c", "0.02", "--epochs", "1",
                "--train-samples", "256", "--test-samples", Integer.toString(TEST), "--batch-size", "64", "--device", "cpu", "--no-progress",
                "--out", run.toString());
        assertEquals(0, code);
        Path weights = dir.resolve("planted.safetensors");
        int planted = plantDeadUnitsAndZeroFilters(model, dataset, run.resolve("weights.safetensors"), weights);

        TrainTest data = Datasets.load(dataset, null, 1, 256, TEST);
        float[][] ours = ourLogits(weights, data);
        Normalization recorded = NormalizationMetadata.fromJson(Safetensors.readMetadata(weights).get(NormalizationMetadata.KEY), "test");
        assertEquals(Normalization.of(data.train()), recorded, "the run recorded the normalisation it trained with");

        long denseBytes = 0;
        for (ExportRun.Variant v : ExportRun.Variant.values()) {
            for (boolean sparse : new boolean[] {false, true}) {
                Path onnx = dir.resolve(v.option + (sparse ? "-sparse" : "") + ".onnx");
                ExportRun.Outcome o = ExportRun.run(weights, onnx, v, sparse, null, () -> { throw new AssertionError("the normalisation is recorded"); });
                float[][] theirs = onnxLogits(onnx, data.test());
                double worst = 0;
                for (int i = 0; i < ours.length; i++) {
                    for (int k = 0; k < ours[i].length; k++) worst = Math.max(worst, Math.abs(ours[i][k] - theirs[i][k]));
                }
                out.printf("%s %s%s: %,d bytes, max |logit diff| %.2e, accuracy %.4f vs %.4f%n", model, v.option, sparse ? " sparse" : "",
                        o.bytes(), worst, accuracy(ours, data.test()), accuracy(theirs, data.test()));
                assertTrue(worst <= TOLERANCE, model + " " + v.option + ": max |diff| " + worst);
                assertEquals(accuracy(ours, data.test()), accuracy(theirs, data.test()), model + " " + v.option + ": test accuracy");
                if (v == ExportRun.Variant.DENSE && !sparse) denseBytes = o.bytes();
                if (v == ExportRun.Variant.SHRUNK) {
                    assertTrue(o.bytes() < denseBytes, "shrunk " + o.bytes() + " < dense " + denseBytes);
                    assertTrue(o.deadUnits() >= planted, o.deadUnits() + " dead units zeroed, " + planted + " planted");
                    assertTrue(o.after().parameters() < o.before().parameters());
                }
                if (sparse) assertTrue(o.sparseInitializers() >= 1, "the 86% sparse classifier is stored sparse");
            }
        }
    }

    /**
     * Copies {@code from} to {@code to} with units nobody reads (their outgoing weights zeroed in
     * the one layer that reads them) and one zero filter planted; returns the units planted.
     */
    private static int plantDeadUnitsAndZeroFilters(String model, String dataset, Path from, Path to) throws Exception {
        LinkedHashMap<String, HostTensor> t = ShrinkRun.read(from);
        Datasets.Shape shape = Datasets.shape(dataset);
        ModelGraph g = ModelGraph.of(Models.create(Architecture.defaults(model), shape.input(), shape.classes()), shape.input());
        // (reader, channels of its input to cut off, a layer to give a zero filter)
        String reader = switch (model) { case "lenet300" -> "fc2"; case "lenet5" -> "conv2"; default -> "layer1.0.branch.conv2"; };
        String zeroFilterOf = switch (model) { case "lenet300" -> "fc1"; case "lenet5" -> "fc1"; default -> "layer2.1.branch.conv1"; };
        int[] dead = {0, 3, 7};
        ModelGraph.Weighted q = g.weighted().stream().filter(w -> w.name().equals(reader)).findFirst().orElseThrow();
        float[] w = t.get(reader + ".weight").values();
        int[] ws = q.weightShape();
        int inWidth = ws[1], span = w.length / (ws[0] * inWidth);
        for (int o = 0; o < ws[0]; o++) for (int c : dead) Arrays.fill(w, (o * inWidth + c) * span, (o * inWidth + c + 1) * span, 0f);
        Shrink.zeroChannel(g, t, zeroFilterOf, 5);
        // and 6 in 7 of the classifier's weights, as unstructured pruning leaves them (no whole column: its
        // row lengths 100, 500 and 64 are not multiples of 7), where sparse storage pays
        float[] fc = t.get(g.classifier().name() + ".weight").values();
        for (int i = 0; i < fc.length; i++) if (i % 7 != 0) fc[i] = 0f;
        if (t.containsKey(zeroFilterOf + ".bias")) t.get(zeroFilterOf + ".bias").values()[5] = 0f;
        LinkedHashMap<String, FloatTensorData> data = new LinkedHashMap<>();
        t.forEach((name, x) -> data.put(name, new FloatTensorData(x.shape(), MemorySegment.ofArray(x.values()))));
        Safetensors.write(to, data, Safetensors.readMetadata(from));
        return dead.length;
    }

    /** sparsestep's logits for the test images, on the CPU backend. */
    private static float[][] ourLogits(Path weights, TrainTest data) {
        WeightsFile f = WeightsFile.describe(weights, null, null);
        int[] shape = {data.channels(), data.height(), data.width()};
        int n = data.test().count();
        try (Arena arena = Arena.ofConfined(); Backend be = Backends.open("cpu", System.err);
             Network net = Network.build(f.model(), be, Models.create(f.architecture(), shape, data.classes()), shape, data.classes(), n, 1)) {
            NetworkTensors.loadFile(net, weights, "--weights");
            BatchLoader test = new BatchLoader(data.test(), n, false, false, 1, Normalization.of(data.train()));
            MemorySegment images = arena.allocate((long) n * test.imageFloats() * 4, 64), labels = arena.allocate(4L * n, 64);
            int k = test.next(images, labels);
            be.upload(images, net.input(k));
            MemorySegment logits = arena.allocate(4L * k * data.classes(), 64);
            be.download(net.forward(k, false), logits);
            float[][] out = new float[k][data.classes()];
            for (int i = 0; i < k; i++) MemorySegment.copy(logits, ValueLayout.JAVA_FLOAT, 4L * i * data.classes(), out[i], 0, data.classes());
            return out;
        }
    }

    /** ONNX Runtime's logits for the test images, fed as raw pixel values 0..255. */
    static float[][] onnxLogits(Path onnx, DatasetSplit test) throws Exception {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        float[] pixels = new float[test.pixels().length];
        for (int i = 0; i < pixels.length; i++) pixels[i] = test.pixels()[i] & 0xFF;
        try (OrtSession s = env.createSession(Files.readAllBytes(onnx), new OrtSession.SessionOptions());
             OnnxTensor x = OnnxTensor.createTensor(env, FloatBuffer.wrap(pixels), new long[] {test.count(), test.channels(), test.height(), test.width()});
             OrtSession.Result r = s.run(Map.of("pixels", x))) {
            return (float[][]) r.get("logits").orElseThrow().getValue();
        }
    }

    static double accuracy(float[][] logits, DatasetSplit test) {
        int right = 0;
        for (int i = 0; i < logits.length; i++) {
            int best = 0;
            for (int k = 1; k < logits[i].length; k++) if (logits[i][k] > logits[i][best]) best = k;
            if (best == test.label(i)) right++;
        }
        return (double) right / logits.length;
    }

}
