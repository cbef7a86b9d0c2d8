package io.sparsestep.train;

import io.sparsestep.store.NetworkTensors;

import io.sparsestep.analysis.Covariance;
import io.sparsestep.analysis.PcaWidth;
import io.sparsestep.backend.Backend;
import io.sparsestep.backend.Tensor;
import io.sparsestep.data.BatchLoader;
import io.sparsestep.data.Normalization;
import io.sparsestep.data.TrainTest;
import io.sparsestep.nn.Architecture;
import io.sparsestep.nn.BatchNorm2d;
import io.sparsestep.nn.Conv2d;
import io.sparsestep.nn.Layer;
import io.sparsestep.nn.Linear;
import io.sparsestep.nn.Models;
import io.sparsestep.nn.Network;
import io.sparsestep.nn.ReLU;
import io.sparsestep.nn.Residual;
import io.sparsestep.nn.Sequential;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The PCA widths of a trained network ((Pen-)Ultimate DNN Pruning, ALGORITHMS.md 9; the
 * design is ours [G]): the network runs in evaluation mode (batch norm on its running
 * statistics) over the first {@code samples} training images, normalised as in training and
 * not augmented; for every conv/linear layer followed by its own ReLU (directly or through
 * batch norm), the ReLU's output is the layer's activation: a linear layer's neurons, or a
 * conv layer's channels with every sample and spatial position one observation. Each layer
 * gets {@link PcaWidth}'s width for variance share {@code v}. Layers whose width a residual
 * sum ties to others (ResNet stems and block outputs), whose output reaches no ReLU of its
 * own, and the classifier keep their widths: the architecture would refuse a change of one
 * of them alone.
 */
public final class PcaWidths {
    /** One layer: its PCA (null for a layer that keeps its width) and why it kept it. */
    public record LayerWidth(String layer, int width, PcaWidth pca, String kept) {
        public int newWidth() { return pca == null ? width : pca.width(); }
    }

    /**
     * {@code connections}: section 9's connection mask of the fully-connected layers, by weight
     * name (row-major 0/1 over the original layer's [out, in] weight; empty when no linear layer
     * got a PCA width or it was not asked for), and per layer how many of its weights it keeps.
     */
    public record Outcome(Architecture before, Architecture after, List<LayerWidth> layers, long samples,
                          Map<String, boolean[]> connections, Map<String, String> connectionCounts) {}

    /** A conv/linear layer and the ReLU whose output is its activation. */
    record Probe(String layer, ReLU relu) {}

    /** A linear layer and what it reads: {@link #INPUT}, a probed layer's ReLU output (that layer's name), or null (something else). */
    record Feed(String layer, String from) {}

    /** {@link Feed#from} of a layer that reads the network's input (through a flatten at most). */
    static final String INPUT = "(input)";

    private PcaWidths() {}

    public static Outcome run(Path weights, TrainTest data, long seed, int samples, double variance, Backend backend) {
        return run(weights, data, seed, samples, variance, backend, false);
    }

    /** {@link #run}, and with {@code connections} section 9's connection pruning of the fully-connected layers ({@link PcaConnections}). */
    public static Outcome run(Path weights, TrainTest data, long seed, int samples, double variance, Backend backend, boolean connections) {
        if (samples < 2) throw new IllegalArgumentException("--samples must be >= 2 (a covariance needs two observations), got " + samples);
        if (!(variance > 0 && variance <= 1)) throw new IllegalArgumentException("--variance must be in (0, 1], got " + variance);
        Architecture arch = WeightsFile.describe(weights, null, null).architecture();
        int[] input = {data.channels(), data.height(), data.width()};
        Layer root = Models.create(arch, input, data.classes());
        List<Probe> probes = new ArrayList<>();
        List<Feed> feeds = new ArrayList<>();
        probes(root, "", probes, feeds, INPUT);
        int n = Math.min(samples, data.train().count());
        BatchLoader loader = new BatchLoader(data.train(), Math.min(100, n), false, false, seed, Normalization.of(data.train()));
        Map<String, Covariance> cov = new LinkedHashMap<>();
        // sums of |a| per unit of every probed layer, and per input feature (the normalised pixels)
        Map<String, double[]> absSums = new LinkedHashMap<>();
        double[] inputAbs = new double[Math.toIntExact(loader.imageFloats())];
        try (Network net = Network.build(arch.model(), backend, root, input, data.classes(), loader.batchSize(), seed, loader.lastBatchSize());
             Arena arena = Arena.ofConfined()) {
            NetworkTensors.loadFile(net, weights, "--from");
            MemorySegment images = arena.allocate(4L * loader.imageFloats() * loader.batchSize(), 64);
            MemorySegment labels = arena.allocate(4L * loader.batchSize(), 64);
            loader.startEpoch(0);
            long seen = 0;
            int b;
            while (seen < n && (b = loader.next(images, labels)) > 0) {
                int use = (int) Math.min(b, n - seen);
                backend.upload(images, net.input(b));
                net.forward(b, false);
                // the |a| sums feed only the connection masks: without them only the covariances are gathered
                for (Probe p : probes) accumulate(cov, connections ? absSums : null, p, backend, use);
                if (connections) {
                    for (int i = 0; i < use * inputAbs.length; i++) inputAbs[i % inputAbs.length] += Math.abs(images.getAtIndex(ValueLayout.JAVA_FLOAT, i));
                }
                seen += use;
            }
            List<LayerWidth> out = new ArrayList<>();
            Map<String, Integer> widths = new LinkedHashMap<>(arch.widths());
            for (Map.Entry<String, Integer> w : arch.widths().entrySet()) {
                String layer = w.getKey();
                Covariance c = cov.get(layer);
                String why = c == null ? "its output reaches no ReLU of its own" : tied(arch, layer) ? "a residual sum ties its width to other layers" : null;
                PcaWidth pca = why == null ? PcaWidth.of(c.matrix(), variance) : null;
                if (pca != null) widths.put(layer, pca.width());
                out.add(new LayerWidth(layer, w.getValue(), pca, why));
            }
            Map<String, boolean[]> masks = new LinkedHashMap<>();
            Map<String, String> counts = new LinkedHashMap<>();
            if (connections) {
                PcaConnections.masks(weights, feeds, out, absSums, inputAbs, seen, variance, masks, counts);
            }
            return new Outcome(arch, new Architecture(arch.model(), widths), out, seen, masks, counts);
        }
    }

    /** Whether the architecture refuses a change of {@code layer}'s width alone. */
    private static boolean tied(Architecture arch, String layer) {
        int w = arch.width(layer);
        try {
            arch.with(Map.of(layer, w > 1 ? w - 1 : w + 1));
            return false;
        } catch (IllegalArgumentException e) {
            return true;
        }
    }

    /** Adds a batch's probed activations to {@code cov} and, unless null, their |a| per unit to {@code absSums}. */
    private static void accumulate(Map<String, Covariance> cov, Map<String, double[]> absSums, Probe p, Backend backend, int rows) {
        Tensor y = p.relu().output();
        int[] shape = y.shape();
        int channels = shape[1], positions = 1;
        for (int d = 2; d < shape.length; d++) positions *= shape[d];
        float[] host = new float[rows * channels * positions];
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment seg = arena.allocate(4L * y.size(), 64);
            backend.download(y, seg);
            MemorySegment.copy(seg, ValueLayout.JAVA_FLOAT, 0, host, 0, host.length);
        }
        Covariance c = cov.computeIfAbsent(p.layer(), k -> new Covariance(channels));
        if (absSums != null) {
            double[] abs = absSums.computeIfAbsent(p.layer(), k -> new double[channels]);
            for (int i = 0; i < host.length; i++) abs[(i / positions) % channels] += Math.abs(host[i]);
        }
        // NCHW: channel c of sample s at position q is host[(s * C + c) * P + q]; the observation is the C entries of one (s, q)
        for (int s = 0; s < rows; s++) for (int q = 0; q < positions; q++) c.add(host, s * channels * positions + q, positions);
    }

    /**
     * The conv/linear layers of {@code layer}'s tree that a ReLU follows, directly or through
     * batch norm, in one sequence; and every linear layer with what it reads ({@code feeds}):
     * {@code from} is what the tree's first layer reads ({@link #INPUT} at the root), a flatten
     * passes it on, a probed layer's ReLU makes it that layer, anything else unknown (null).
     */
    static void probes(Layer layer, String scope, List<Probe> out, List<Feed> feeds, String from) {
        switch (layer) {
            case Sequential seq -> {
                String inner = seq.name().isEmpty() ? scope : join(scope, seq.name());
                String last = null, reads = from;
                for (Layer child : seq.children()) {
                    switch (child) {
                        case Conv2d c -> {
                            last = join(inner, c.name());
                            reads = null;
                        }
                        case Linear l -> {
                            last = join(inner, l.name());
                            feeds.add(new Feed(last, reads));
                            reads = null;
                        }
                        case BatchNorm2d _ -> {}
                        case io.sparsestep.nn.Flatten _ -> {}
                        case ReLU r -> {
                            if (last != null) out.add(new Probe(last, r));
                            reads = last;
                            last = null;
                        }
                        default -> {
                            probes(child, inner, out, feeds, null);
                            last = null;
                            reads = null;
                        }
                    }
                }
            }
            case Residual r -> {
                for (Layer child : r.children()) probes(child, join(scope, r.name()), out, feeds, null);
            }
            default -> {}
        }
    }

    private static String join(String scope, String name) { return scope.isEmpty() ? name : scope + "." + name; }
}
