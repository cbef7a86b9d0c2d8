package io.sparsestep.bench;

import java.util.Map;
import java.util.TreeMap;

/**
 * One timed configuration, independent of JMH's classes: the workload, the device, the
 * JMH parameters, and time per step in milliseconds (median and mean over all measurement
 * iterations of all forks, and JMH's 99.9% confidence half-width, null when there were too
 * few iterations to compute one).
 */
public record Measurement(String workload, String device, Map<String, String> params,
                          double medianMs, double meanMs, Double errorMs, long samples) {
    public Measurement {
        params = Map.copyOf(new TreeMap<>(params));
        if (!(medianMs > 0)) throw new IllegalArgumentException("median time must be positive, got " + medianMs + " ms");
    }

    public String param(String key) {
        String v = params.get(key);
        if (v == null) throw new IllegalArgumentException(workload + " result has no parameter '" + key + "'");
        return v;
    }
}
