package io.sparsestep.train;

import io.sparsestep.store.NetworkTensors;

import io.sparsestep.store.Checkpoint;
import io.sparsestep.store.CheckpointException;

import io.sparsestep.nn.Architecture;
import io.sparsestep.nn.Models;
import io.sparsestep.store.Safetensors;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a weights.safetensors or checkpoint.safetensors says about the network it holds,
 * read from its metadata only: the model, the dataset and the architecture (its widths).
 * Options given on the command line win over the file; a file without the metadata (one
 * from elsewhere) needs them.
 *
 * <p>The architecture comes from, in order: {@code --widths}; the file's
 * {@value NetworkTensors#ARCHITECTURE} metadata (every weights file train and shrink
 * write); a checkpoint's recorded {@code --widths}; the model's own widths.
 */
public record WeightsFile(Path file, String model, String dataset, Architecture architecture) {
    public static WeightsFile describe(Path file, String model, String widths) {
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException(file + ": no such file; pass a weights.safetensors or checkpoint.safetensors");
        }
        Map<String, String> meta = metadata(file);
        Architecture arch = widths != null ? Architecture.resolve(widths) : recorded(file, meta);
        String m = model != null ? model : arch != null ? arch.model() : meta.get("model");
        if (m == null) throw new IllegalArgumentException(file + " does not say which model it holds (no metadata); pass --model");
        Models.requireKnown(m);
        if (arch == null) arch = Architecture.defaults(m);
        if (!arch.model().equals(m)) {
            throw new IllegalArgumentException(file + ": its architecture is of " + arch.model() + ", not of --model " + m
                    + (widths != null ? " (--widths " + widths + ")" : "") + "; pass the model it holds");
        }
        return new WeightsFile(file, m, meta.get("dataset"), arch);
    }

    /** The metadata of a safetensors file; an unreadable one is a CheckpointException of one line naming it. */
    public static Map<String, String> metadata(Path file) {
        try {
            return Safetensors.readMetadata(file);
        } catch (IOException e) {
            String m = String.valueOf(e.getMessage());
            throw new CheckpointException(m.contains(file.toString()) ? m : file + ": " + m, e);
        }
    }

    /** The architecture the file's metadata records, or null. */
    private static Architecture recorded(Path file, Map<String, String> meta) {
        String json = meta.get(NetworkTensors.ARCHITECTURE);
        if (json != null) return Architecture.fromJson(json, file + " (metadata '" + NetworkTensors.ARCHITECTURE + "')");
        if (!"sparsestep-checkpoint".equals(meta.get("format"))) return null;
        // a checkpoint records the run's command line; its --widths is the architecture
        List<String> args = new Checkpoint(file, meta, new LinkedHashMap<>()).args();
        int i = args.indexOf("--widths");
        return i >= 0 && i + 1 < args.size() ? Architecture.resolve(args.get(i + 1)) : null;
    }
}
