package io.sparsestep.bench;

import java.util.Map;
import java.util.TreeMap;

/**
 * Memory of one benchmark configuration, measured outside JMH on a fresh backend: the
 * optimizer's state bytes, the backend's peak bytes over setup and one step (parameters,
 * gradients, state, activations: everything allocated through the backend), the number
 * of trainable parameters, and how many allocations that step made (the library promises
 * none).
 */
public record MemoryRecord(String workload, String device, Map<String, String> params,
                           long parameters, long stateBytes, long peakBytes, long allocationsPerStep) {
    public MemoryRecord {
        params = Map.copyOf(new TreeMap<>(params));
    }
}
