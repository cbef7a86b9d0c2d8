package io.sparsestep.cli;

import io.sparsestep.store.FloatTensorData;
import io.sparsestep.store.Safetensors;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A LeNet-5 trained for one epoch into {@code dir/run}, and a copy of its weights in
 * {@code dir/masked} with conv2 filters 0-19 and fc1 rows 0-99 set to zero afterwards (their
 * biases stay, so the channels are constants the shrink folds): 120 of 570 filters removable.
 */
record ZeroedLeNet(Path run, Path masked) {
    static ZeroedLeNet train(Path dir, String... data) throws IOException {
        Path run = dir.resolve("run");
        String[] train = {"train", "--model", "lenet5", "--epochs", "1", "--batch-size", "50", "--no-progress", "--out", run.toString()};
        String[] all = java.util.Arrays.copyOf(train, train.length + data.length);
        System.arraycopy(data, 0, all, train.length, data.length);
        CliRun trained = CliRun.of(all);
        assertEquals(0, trained.code(), trained.err());
        Path masked = dir.resolve("masked");
        Files.createDirectories(masked);
        try (Arena arena = Arena.ofConfined()) {
            Path weights = run.resolve("weights.safetensors");
            LinkedHashMap<String, FloatTensorData> t = Safetensors.read(weights, arena);
            zeroRows(t.get("conv2.weight").data(), 20, 20 * 25);
            zeroRows(t.get("fc1.weight").data(), 100, 800);
            Safetensors.write(masked.resolve("weights.safetensors"), t, Safetensors.readMetadata(weights));
        }
        return new ZeroedLeNet(run, masked);
    }

    private static void zeroRows(MemorySegment data, int rows, int rowLength) {
        data.asSlice(0, 4L * rows * rowLength).fill((byte) 0);
    }
}
