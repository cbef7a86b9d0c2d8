package io.sparsestep.train;

import io.sparsestep.store.NetworkTensors;

import io.sparsestep.backend.Backend;
import io.sparsestep.data.Datasets;
import io.sparsestep.nn.Architecture;
import io.sparsestep.nn.Models;
import io.sparsestep.nn.Network;
import io.sparsestep.store.FloatTensorData;
import io.sparsestep.store.Safetensors;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The initial weights a network of {@code arch} draws from {@code seed}, written as a weights
 * file for {@code --init-from}. A run's {@code --seed} also orders (and, for synthetic data,
 * generates) its data, so a fresh initialisation on the same data needs its own seed: what
 * `retrain`'s scratch modes use, so that a retrained mask does not start from the weights
 * the pruned run itself started from (a winning-ticket rewind, which Rethinking contrasts
 * with a random re-initialisation).
 */
public final class FreshInit {
    private FreshInit() {}

    /**
     * The fresh initial weights of a scratch retrain, written to the run's {@code --init-from}
     * file (its folder made if needed) before the run starts; an I/O failure names the file.
     */
    public static void writeForRun(Backend backend, Architecture arch, RunConfig cfg, long seed) {
        Path file = cfg.initFrom();
        try {
            Path folder = file.toAbsolutePath().getParent();
            if (folder != null) Files.createDirectories(folder);
            write(backend, arch, cfg.dataset(), seed, file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the fresh initial weights " + file + ": " + e.getMessage(), e);
        }
    }

    public static void write(Backend backend, Architecture arch, String dataset, long seed, Path file) throws IOException {
        Datasets.Shape shape = Datasets.shape(dataset);
        int[] input = shape.input();
        try (Network net = Network.build(arch.model(), backend, Models.create(arch, input, shape.classes()), input, shape.classes(), 1, seed);
             Arena arena = Arena.ofConfined()) {
            LinkedHashMap<String, FloatTensorData> tensors = NetworkTensors.of(net, arena);
            Map<String, String> meta = new LinkedHashMap<>();
            meta.put("format", "sparsestep");
            meta.put("model", arch.model());
            meta.put("dataset", dataset);
            meta.put(NetworkTensors.ARCHITECTURE, arch.toCompactJson());
            meta.put("init_seed", Long.toString(seed));
            Safetensors.write(file, tensors, meta);
        }
    }
}
