package io.sparsestep.train;

import io.sparsestep.analysis.ConnectionPruning;
import io.sparsestep.analysis.PcaWidth;
import io.sparsestep.store.FloatTensorData;
import io.sparsestep.store.Safetensors;
import io.sparsestep.train.masks.RunMask;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Section 9's connection pruning inside the kept units of the fully-connected layers (our
 * design [G], {@link ConnectionPruning}), as a mask over the trained network's own weights:
 * a linear layer with a PCA width masks the rows of the units it drops whole and, in every
 * kept row, the connections whose cumulative relative importance {@code |w_ij| E|a_i| /
 * sum_i |w_ij| E|a_i|} (ascending) stays below {@code 1 - v}, over the inputs that remain; a
 * linear layer reading a layer with a PCA width masks the columns of that layer's dropped
 * units. E|a_i| is the mean absolute activation over the PCA's samples: of the normalised
 * pixels for a layer on the network's input (through a flatten), of the ReLU output for one on
 * a probed layer; a layer reading anything else weighs its inputs alike (E|a_i| = 1). Conv
 * layers are not masked: their widths are in the architecture file only.
 */
public final class PcaConnections {
    private PcaConnections() {}

    /** Fills {@code masks} (weight name to its 0/1 pattern, row-major) and {@code counts} (in words). */
    static void masks(Path weights, List<PcaWidths.Feed> feeds, List<PcaWidths.LayerWidth> layers, Map<String, double[]> absSums,
                      double[] inputAbs, long samples, double variance, Map<String, boolean[]> masks, Map<String, String> counts) {
        Map<String, PcaWidth> pca = new LinkedHashMap<>();
        for (PcaWidths.LayerWidth l : layers) if (l.pca() != null) pca.put(l.layer(), l.pca());
        if (feeds.stream().noneMatch(f -> pca.containsKey(f.layer()) || pca.containsKey(f.from()))) return;
        try (Arena arena = Arena.ofConfined()) {
            Map<String, FloatTensorData> tensors = Safetensors.read(weights, arena);
            for (PcaWidths.Feed f : feeds) {
                PcaWidth own = pca.get(f.layer()), input = f.from() == null ? null : pca.get(f.from());
                if (own == null && input == null) continue;
                String name = f.layer() + ".weight";
                FloatTensorData w = tensors.get(name);
                int out = w.shape()[0], in = w.shape()[1];
                double[] meanAbs = meanAbs(f.from(), in, absSums, inputAbs, samples);
                boolean[] keptIn = units(input, in), keptOut = units(own, out);
                boolean[] mask = new boolean[out * in];
                long kept = 0;
                int[] inputs = java.util.stream.IntStream.range(0, in).filter(i -> keptIn[i]).toArray();
                for (int j = 0; j < out; j++) {
                    if (!keptOut[j]) continue;
                    float[] row = new float[inputs.length];
                    double[] a = new double[inputs.length];
                    for (int t = 0; t < inputs.length; t++) {
                        row[t] = w.data().getAtIndex(ValueLayout.JAVA_FLOAT, (long) j * in + inputs[t]);
                        a[t] = meanAbs[inputs[t]];
                    }
                    // only a layer with a PCA width of its own prunes connections; a reader of one loses the dropped columns
                    boolean[] keep = own != null ? ConnectionPruning.keep(row, a, variance) : filled(inputs.length);
                    for (int t = 0; t < inputs.length; t++) {
                        if (keep[t]) {
                            mask[j * in + inputs[t]] = true;
                            kept++;
                        }
                    }
                }
                masks.put(name, mask);
                counts.put(f.layer(), String.format(Locale.ROOT, "%,d of %,d weights kept (%d of %d units, %d of %d inputs)", kept, (long) out * in,
                        own == null ? out : own.width(), out, inputs.length, in));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(weights + ": " + e.getMessage(), e);
        }
    }

    private static double[] meanAbs(String from, int in, Map<String, double[]> absSums, double[] inputAbs, long samples) {
        double[] sums = PcaWidths.INPUT.equals(from) ? inputAbs : from == null ? null : absSums.get(from);
        double[] m = new double[in];
        if (sums == null || sums.length != in) {
            java.util.Arrays.fill(m, 1);
            return m;
        }
        for (int i = 0; i < in; i++) m[i] = sums[i] / samples;
        return m;
    }

    private static boolean[] units(PcaWidth pca, int n) {
        if (pca == null) return filled(n);
        boolean[] b = new boolean[n];
        for (int k : pca.kept()) b[k] = true;
        return b;
    }

    private static boolean[] filled(int n) {
        boolean[] b = new boolean[n];
        java.util.Arrays.fill(b, true);
        return b;
    }

    /**
     * Writes {@code file}: the weights of {@code source} with every entry {@code masks} prunes
     * set to +0.0 and {@code mask.prune.*} tensors for every conv/linear weight (all kept where
     * no mask is given; a source mask is combined), and the source's metadata with
     * {@code shrunk_from} naming it, so {@code retrain --from file} finds the run's recipe.
     */
    public static void write(Path source, Map<String, boolean[]> masks, Path file) {
        try (Arena arena = Arena.ofConfined()) {
            LinkedHashMap<String, FloatTensorData> in = Safetensors.read(source, arena), out = new LinkedHashMap<>();
            for (Map.Entry<String, FloatTensorData> t : in.entrySet()) {
                if (t.getKey().startsWith(RunMask.MASK_PREFIX)) continue;
                out.put(t.getKey(), t.getValue());
            }
            for (Map.Entry<String, FloatTensorData> t : in.entrySet()) {
                if (!RunMask.isConvOrLinearWeight(t.getKey(), t.getValue().shape()) || t.getKey().startsWith("mask.")) continue;
                FloatTensorData w = t.getValue(), old = in.get(RunMask.MASK_PREFIX + t.getKey());
                boolean[] m = masks.get(t.getKey());
                long n = w.elements();
                MemorySegment values = arena.allocate(4 * n, 4), mask = arena.allocate(4 * n, 4);
                for (long i = 0; i < n; i++) {
                    boolean keep = (m == null || m[Math.toIntExact(i)]) && (old == null || old.data().getAtIndex(ValueLayout.JAVA_FLOAT, i) != 0f);
                    values.setAtIndex(ValueLayout.JAVA_FLOAT, i, keep ? w.data().getAtIndex(ValueLayout.JAVA_FLOAT, i) : 0f);
                    mask.setAtIndex(ValueLayout.JAVA_FLOAT, i, keep ? 1f : 0f);
                }
                out.put(t.getKey(), new FloatTensorData(w.shape(), values));
                out.put(RunMask.MASK_PREFIX + t.getKey(), new FloatTensorData(w.shape(), mask));
            }
            Map<String, String> meta = new LinkedHashMap<>(Safetensors.readMetadata(source));
            meta.put("shrunk_from", source.toAbsolutePath().toString());
            meta.put("pca_connections", "ALGORITHMS.md 9: units outside the PCA widths and connections below 1 - v of a kept unit's "
                    + "importance masked in the fully-connected layers");
            Safetensors.write(file, out, meta);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }
}
