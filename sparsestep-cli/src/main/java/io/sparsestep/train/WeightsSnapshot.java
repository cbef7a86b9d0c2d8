package io.sparsestep.train;

import io.sparsestep.store.NetworkTensors;

import io.sparsestep.store.Checkpoint;

import io.sparsestep.nn.Architecture;
import io.sparsestep.nn.Network;
import io.sparsestep.params.Mask;
import io.sparsestep.store.FloatTensorData;
import io.sparsestep.store.Safetensors;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * A network's parameters and batch-norm statistics at some moment, as a weights file (the
 * names and format of weights.safetensors, so {@code --init-from}, {@code eval} and
 * {@code masks compare} read it), with a mask as {@code mask.prune.*} where one goes with
 * them; written atomically. Iterative pruning keeps its initial weights, its rewind point and
 * each round's start this way.
 */
public final class WeightsSnapshot {
    private WeightsSnapshot() {}

    /**
     * Writes {@code net}'s tensors (and {@code mask}'s, if not null) to {@code file}, with the
     * metadata of a weights file (format, model, architecture) and {@code metadata}.
     */
    public static void write(Network net, Architecture arch, Mask mask, Path file, Map<String, String> metadata) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            LinkedHashMap<String, FloatTensorData> tensors = NetworkTensors.of(net, arena);
            if (mask != null) Checkpoint.putMask(tensors, "prune", mask, arena);
            Map<String, String> meta = new LinkedHashMap<>();
            meta.put("format", "sparsestep");
            meta.put("model", net.modelId());
            meta.put(NetworkTensors.ARCHITECTURE, arch.toCompactJson());
            // in key order: a Map.of's order changes from one JVM to the next, the file's bytes must not
            meta.putAll(new TreeMap<>(metadata));
            Safetensors.write(file, tensors, meta);
        }
    }

    /** Loads the parameters and statistics of a weights or checkpoint file into {@code net} (names and shapes checked first). */
    public static void load(Network net, Path file) {
        NetworkTensors.loadFile(net, file, "weights");
    }

    /**
     * A listener that writes {@code file} after the first optimizer step at or past global step
     * {@code step} (or at the end of that epoch, if its last batch was skipped): the weights
     * after {@code step} training iterations.
     */
    public static TrainingListener afterStep(long step, Architecture arch, Path file, Map<String, String> metadata) {
        return new TrainingListener() {
            private boolean written;

            @Override
            public void onStep(StepEvent e) {
                if (!written && e.globalStep() >= step) write(e.net(), e.globalStep());
            }

            @Override
            public void onEpochEnd(EpochEnd e) {
                if (!written && e.globalStep() >= step) write(e.net(), e.globalStep());
            }

            private void write(Network net, long at) {
                Map<String, String> meta = new LinkedHashMap<>(metadata);
                meta.put("global_step", Long.toString(at));
                try {
                    WeightsSnapshot.write(net, arch, null, file, meta);
                } catch (IOException ex) {
                    throw new UncheckedIOException(ex.getMessage() == null ? "cannot write " + file : ex.getMessage(), ex);
                }
                written = true;
            }
        };
    }
}
