package io.sparsestep.train;

import io.sparsestep.backend.Backend;
import io.sparsestep.nn.Network;
import io.sparsestep.nn.Param;
import io.sparsestep.params.ParamGroup;

import java.util.LinkedHashMap;

/**
 * Sparsity as the papers report it: the fraction of exact zeros among the prunable
 * (conv and linear) weights, globally and per layer. Biases and batch norm do not count.
 */
public final class Sparsity {
    private Sparsity() {}

    /** Per prunable layer (parameter name without ".weight") and, under key "", the global fraction. */
    public static LinkedHashMap<String, Double> measure(Network net) {
        Backend be = net.backend();
        LinkedHashMap<String, Double> perLayer = new LinkedHashMap<>();
        long zeros = 0, total = 0;
        for (Param p : net.params()) {
            if (p.group() != ParamGroup.WEIGHTS) continue;
            long z = be.elementwise().countZeros(p.value().get());
            zeros += z;
            total += p.size();
            perLayer.put(layerName(p), (double) z / p.size());
        }
        LinkedHashMap<String, Double> out = new LinkedHashMap<>();
        out.put("", total == 0 ? 0.0 : (double) zeros / total);
        out.putAll(perLayer);
        return out;
    }

    static String layerName(Param p) {
        String n = p.name();
        return n.endsWith(".weight") ? n.substring(0, n.length() - ".weight".length()) : n;
    }

    /** The exact zeros among the conv/linear weights (what the papers mostly report, and what training prints). */
    public static SparsityReport weights(Network net) {
        return count(net, SparsityReport.Counted.PRUNABLE_WEIGHTS);
    }

    /** The exact zeros among all trainable parameters, biases and batch norm included (how the gRDA authors count). */
    public static SparsityReport allParameters(Network net) {
        return count(net, SparsityReport.Counted.ALL_PARAMETERS);
    }

    private static SparsityReport count(Network net, SparsityReport.Counted counted) {
        long zeros = 0, total = 0;
        for (Param p : net.params()) {
            if (counted == SparsityReport.Counted.PRUNABLE_WEIGHTS && p.group() != ParamGroup.WEIGHTS) continue;
            zeros += net.backend().elementwise().countZeros(p.value().get());
            total += p.size();
        }
        return new SparsityReport(counted, SparsityReport.Source.EXACT_ZEROS, zeros, total);
    }

    /** What a pruning mask removes from the conv/linear weights (the mask's count, not exact zeros). */
    public static SparsityReport masked(io.sparsestep.params.Mask mask) {
        long n = mask.size();
        return new SparsityReport(SparsityReport.Counted.PRUNABLE_WEIGHTS, SparsityReport.Source.MASK, n - mask.kept(), n);
    }

    /** Number of prunable weights. */
    public static long prunableCount(Network net) {
        long total = 0;
        for (Param p : net.params()) if (p.group() == ParamGroup.WEIGHTS) total += p.size();
        return total;
    }
}
