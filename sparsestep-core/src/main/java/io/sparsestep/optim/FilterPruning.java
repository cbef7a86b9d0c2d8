package io.sparsestep.optim;

import io.sparsestep.backend.Backend;
import io.sparsestep.params.ParamSpace;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * L1 filter pruning's optimizer ({@link FilterPruningSpec}): momentum SGD under a mask that
 * keeps everything until the start of epoch {@code pruneAfter + 1}; then, in every conv layer
 * not skipped, the filters outside the top m by {@code sum |W[o]|} (in double, index order;
 * ties by index, lowest first) are masked whole and zeroed, and stay so. The scores are
 * computed on the host from one download per layer (once per run).
 */
public final class FilterPruning extends MaskedOptimizer {
    private final Backend be;
    private final ParamSpace space;
    private final FilterPruningSpec spec;
    private final int pruneAfter;
    private final List<PrunableTensors.Layer> convs = new ArrayList<>();
    private final Map<String, Integer> keptFilters = new LinkedHashMap<>();
    private boolean pruned;

    FilterPruning(ParamSpace space, FilterPruningSpec spec, int pruneAfter) {
        super(space, spec.sgd(), "l1-filter", "L1 filter pruning");
        this.be = space.backend();
        this.space = space;
        this.spec = spec;
        this.pruneAfter = pruneAfter;
        Set<String> layers = new TreeSet<>();
        for (PrunableTensors.Layer l : sgd.prunable().layers()) {
            if (l.entry().shape().length != 4) continue;
            String name = layerName(l);
            layers.add(name);
            if (!spec.skip().contains(name)) convs.add(l);
        }
        List<String> unknown = new ArrayList<>();
        for (String n : spec.keep().keySet()) if (!layers.contains(n)) unknown.add("--keep " + n);
        for (String n : spec.skip()) if (!layers.contains(n)) unknown.add("--skip " + n);
        for (PrunableTensors.Layer l : convs) {
            Integer m = spec.keep().get(layerName(l));
            if (m != null && m > l.entry().shape()[0]) unknown.add("--keep " + layerName(l) + "=" + m + " (it has " + l.entry().shape()[0] + " filters)");
        }
        if (!unknown.isEmpty() || convs.isEmpty()) {
            sgd.close();
            throw new IllegalArgumentException(convs.isEmpty() ? "L1 filter pruning needs conv layers; this model has none left to prune"
                    : "L1 filter pruning: no such conv layer for " + String.join(", ", unknown) + "; its conv layers are " + layers);
        }
    }

    static String layerName(PrunableTensors.Layer l) {
        String n = l.entry().name();
        return n.endsWith(".weight") ? n.substring(0, n.length() - ".weight".length()) : n;
    }

    /** Filters kept per layer by the prune (empty before it). */
    public Map<String, Integer> keptFilters() { return Map.copyOf(keptFilters); }

    @Override
    public void startEpoch(int epoch) {
        if (!pruned && epoch == pruneAfter + 1) prune();
    }

    void prune() {
        for (PrunableTensors.Layer layer : convs) {
            int[] shape = layer.entry().shape();
            int filters = shape[0], per = Math.toIntExact(layer.size() / filters);
            int keep = spec.keep().getOrDefault(layerName(layer), Math.max(1, (int) (filters * (1 - spec.ratio()))));
            int n = Math.toIntExact(layer.size());
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment host = arena.allocate(4L * n, 64);
                be.download(layer.w(), host);
                double[] norm = new double[filters];
                for (int o = 0; o < filters; o++) {
                    double s = 0;
                    for (int j = 0; j < per; j++) s += Math.abs(host.getAtIndex(ValueLayout.JAVA_FLOAT, (long) o * per + j));
                    norm[o] = s;
                }
                Integer[] order = new Integer[filters];
                for (int o = 0; o < filters; o++) order[o] = o;
                Arrays.sort(order, (a, b) -> norm[a] != norm[b] ? Double.compare(norm[b], norm[a]) : Integer.compare(a, b));
                byte[] mask = new byte[n];
                for (int r = 0; r < keep; r++) Arrays.fill(mask, order[r] * per, (order[r] + 1) * per, (byte) 1);
                be.upload(MemorySegment.ofArray(mask), layer.mask());
            }
            keptFilters.put(layerName(layer), keep);
        }
        sgd.zeroPruned(space);
        pruned = true;
    }

    @Override
    void putOwnScalars(Map<String, Double> scalars) { scalars.put("pruned", pruned ? 1.0 : 0.0); }

    @Override
    void restoreOwnScalars(Map<String, Double> scalars) { pruned = requireFlag(scalars, "pruned"); }

    @Override
    public Map<String, Object> hyperparameters() {
        Map<String, Object> out = sgd.hyperparameters();
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("ratio", spec.ratio());
        f.put("keep", spec.keep());
        f.put("skip", List.copyOf(spec.skip()));
        f.put("prune_after_epoch", pruneAfter);
        f.put("rule", "sum |W[o]| per filter, top m kept, m = int(O * (1 - ratio)) (floor, at least 1) or --keep; ties by index");
        f.put("kept_filters", keptFilters);
        out.put("l1_filter", f);
        return out;
    }
}
