package io.sparsestep.store;


import io.sparsestep.nn.Architecture;
import io.sparsestep.nn.Network;
import io.sparsestep.nn.Param;
import io.sparsestep.nn.StateTensor;

import java.io.IOException;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A network's parameters and batch-norm running statistics as named float32 tensors
 * (the names of weights.safetensors: {@code fc1.weight}, {@code bn1.running_mean}), out of
 * the backend and back in. Loading checks every name and shape first and names the first
 * mismatch, so a file of another model never half-loads.
 */
public final class NetworkTensors {
    /** Metadata key of a weights file's architecture (its JSON): the widths the tensors have. */
    public static final String ARCHITECTURE = "architecture";

    private NetworkTensors() {}

    /** Every parameter, then every running statistic, downloaded into {@code arena}. */
    public static LinkedHashMap<String, FloatTensorData> of(Network net, Arena arena) {
        MemorySegment params = net.downloadAll(net.memory().params(), arena);
        MemorySegment states = net.downloadAll(net.memory().states(), arena);
        LinkedHashMap<String, FloatTensorData> tensors = new LinkedHashMap<>();
        for (Param p : net.params()) {
            tensors.put(p.name(), new FloatTensorData(p.shape(), slice(params, p.value().get().offset(), p.size())));
        }
        for (StateTensor s : net.memory().stateList()) {
            tensors.put(s.name(), new FloatTensorData(new int[] {s.size()}, slice(states, s.value().get().offset(), s.size())));
        }
        return tensors;
    }

    /**
     * Uploads the parameters and running statistics of {@code tensors} into {@code net}.
     * Every tensor the network has must be there with its shape; others (a checkpoint's
     * optimizer state) are ignored. {@code file} only names the source in errors.
     */
    public static void load(Network net, Map<String, FloatTensorData> tensors, Path file) {
        for (Param p : net.params()) require(tensors, p.name(), p.shape(), file, net);
        for (StateTensor s : net.memory().stateList()) require(tensors, s.name(), new int[] {s.size()}, file, net);
        for (Param p : net.params()) net.backend().upload(tensors.get(p.name()).data(), p.value().get());
        for (StateTensor s : net.memory().stateList()) net.backend().upload(tensors.get(s.name()).data(), s.value().get());
    }

    /**
     * Loads the parameters and running statistics of a weights or checkpoint file into
     * {@code net} (names and shapes checked first); {@code option} names where the file came
     * from in errors ({@code --init-from}, {@code --weights}).
     */
    public static void loadFile(Network net, Path file, String option) {
        if (!Files.isRegularFile(file)) {
            throw new CheckpointException(option + " " + file + ": no such file; pass a weights.safetensors or checkpoint.safetensors");
        }
        try (Arena arena = Arena.ofConfined()) {
            load(net, Safetensors.read(file, arena), file);
        } catch (CheckpointException e) {
            throw new CheckpointException(e.getMessage() + resizedHint(file, option), e);
        } catch (IOException e) {
            String m = String.valueOf(e.getMessage());
            throw new CheckpointException(option + " " + (m.contains(file.toString()) ? m : file + ": " + m), e);
        }
    }

    /** When the file holds a model with other widths (a shrunk one), how to load it; empty otherwise. */
    private static String resizedHint(Path file, String option) {
        try {
            String json = Safetensors.readMetadata(file).get(ARCHITECTURE);
            if (json == null || Architecture.fromJson(json, file.toString()).isDefault()) return "";
            return " (its metadata records other widths: load it with --widths and the architecture.json `sparsestep shrink` wrote beside it)";
        } catch (IOException | IllegalArgumentException e) {
            return "";
        }
    }

    private static void require(Map<String, FloatTensorData> tensors, String name, int[] shape, Path file, Network net) {
        FloatTensorData t = tensors.get(name);
        if (t == null) {
            throw new CheckpointException(file + ": has no tensor '" + name + "', which " + net.modelId()
                    + " needs; is it a file of another model?");
        }
        if (!Arrays.equals(t.shape(), shape)) {
            throw new CheckpointException(file + ": tensor '" + name + "' has shape " + Arrays.toString(t.shape()) + ", "
                    + net.modelId() + " needs " + Arrays.toString(shape) + "; is it a file of another model or input size?");
        }
    }

    private static MemorySegment slice(MemorySegment all, long offsetWords, long words) {
        return all.asSlice(4 * offsetWords, 4 * words);
    }
}
