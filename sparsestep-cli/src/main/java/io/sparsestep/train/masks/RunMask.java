package io.sparsestep.train.masks;

import io.sparsestep.train.SparsityReport;
import io.sparsestep.store.FloatTensorData;
import io.sparsestep.store.Safetensors;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The pruning mask of one run, read from its weights.safetensors or checkpoint: the
 * {@code mask.prune.<parameter>} tensors a masked method (GSM, GMP, DropPruning, one-shot
 * magnitude) writes there, else the nonzero pattern of the conv/linear weights, so that
 * gRDA's exact zeros are its mask. {@code tensors} are the model's tensor shapes by name
 * (parameters and running statistics; not the optimizer's or the masks'), what tells
 * whether two runs are of one model. {@code source} says which of the two the mask is.
 */
public record RunMask(String label, Path file, SparsityReport.Source source, Map<String, List<Integer>> tensors, List<LayerMask> layers) {
    public static final String MASK_PREFIX = "mask.prune.";
    public static final String WEIGHTS_FILE = "weights.safetensors";
    public static final String CHECKPOINT_FILE = "checkpoint.safetensors";
    /** Tensors of a file that are not the model's own. */
    private static final List<String> NOT_MODEL = List.of("optimizer.", "mask.");

    public RunMask {
        tensors = Collections.unmodifiableMap(new LinkedHashMap<>(tensors));
        layers = List.copyOf(layers);
    }

    /**
     * The mask of {@code given}: a run folder (its weights.safetensors, else its
     * checkpoint.safetensors while it still trains) or one of those files. Anything
     * unreadable is an IllegalArgumentException of one line naming the file.
     */
    public static RunMask read(Path given) {
        Path file = fileOf(given);
        try (Arena arena = Arena.ofConfined()) {
            return of(labelOf(given), file, Safetensors.read(file, arena));
        } catch (IOException e) {
            String m = String.valueOf(e.getMessage());
            throw new IllegalArgumentException(m.contains(file.toString()) ? m : file + ": " + m, e);
        }
    }

    /** The same mask under another label (to tell two runs of one folder name apart). */
    public RunMask withLabel(String newLabel) { return new RunMask(newLabel, file, source, tensors, layers); }

    /** The file a run folder or file argument names. */
    public static Path fileOf(Path given) {
        if (Files.isDirectory(given)) {
            for (String name : List.of(WEIGHTS_FILE, CHECKPOINT_FILE)) {
                if (Files.isRegularFile(given.resolve(name))) return given.resolve(name);
            }
            throw new IllegalArgumentException(given + ": no " + WEIGHTS_FILE + " or " + CHECKPOINT_FILE
                    + " in this folder; pass the --out folder of a run, or one of those files");
        }
        if (!Files.isRegularFile(given)) {
            throw new IllegalArgumentException(given + ": no such file or folder; pass a run folder, a " + WEIGHTS_FILE + " or a "
                    + CHECKPOINT_FILE);
        }
        return given;
    }

    /** "gsm" for runs/compare/gsm or its weights file; "gsm (checkpoint)" for its checkpoint. */
    static String labelOf(Path given) {
        Path abs = given.toAbsolutePath().normalize();
        if (Files.isDirectory(abs) || abs.getParent() == null || abs.getParent().getFileName() == null) {
            return String.valueOf(abs.getFileName());
        }
        String name = abs.getFileName().toString(), run = abs.getParent().getFileName().toString();
        if (name.equals(WEIGHTS_FILE)) return run;
        if (name.equals(CHECKPOINT_FILE)) return run + " (checkpoint)";
        return run + "/" + name;
    }

    /** The mask of the tensors read from {@code file} (see the class comment). */
    static RunMask of(String label, Path file, Map<String, FloatTensorData> all) {
        Map<String, List<Integer>> model = new LinkedHashMap<>();
        all.forEach((name, t) -> {
            if (NOT_MODEL.stream().noneMatch(name::startsWith)) model.put(name, shape(t));
        });
        boolean masked = all.keySet().stream().anyMatch(n -> n.startsWith(MASK_PREFIX));
        List<LayerMask> layers = new ArrayList<>();
        for (String parameter : model.keySet()) {
            FloatTensorData values = all.get(parameter);
            if (masked) {
                FloatTensorData mask = all.get(MASK_PREFIX + parameter);
                if (mask == null) continue;
                if (!shape(mask).equals(shape(values))) {
                    throw new IllegalArgumentException(file + ": mask tensor '" + MASK_PREFIX + parameter + "' has shape " + shape(mask)
                            + ", its parameter " + shape(values) + "; the file is damaged");
                }
                layers.add(new LayerMask(parameter, values.shape(), zeroOne(file, MASK_PREFIX + parameter, mask)));
            } else if (isConvOrLinearWeight(parameter, values.shape())) {
                layers.add(new LayerMask(parameter, values.shape(), nonzero(values)));
            }
        }
        for (String name : all.keySet()) {
            if (name.startsWith(MASK_PREFIX) && !model.containsKey(name.substring(MASK_PREFIX.length()))) {
                throw new IllegalArgumentException(file + ": mask tensor '" + name + "' has no parameter '"
                        + name.substring(MASK_PREFIX.length()) + "' in the file; the file is damaged");
            }
        }
        if (layers.isEmpty()) {
            throw new IllegalArgumentException(file + ": no conv/linear weights (tensors named *.weight of rank 2 or 4) and no "
                    + MASK_PREFIX + "* tensors; pass a weights.safetensors or checkpoint of a sparsestep run");
        }
        return new RunMask(label, file, masked ? SparsityReport.Source.MASK : SparsityReport.Source.EXACT_ZEROS, model, layers);
    }

    /**
     * The conv/linear weights, what the methods prune and a sparsity counts: Linear's
     * [out, in] and Conv2d's [out, in, k, k] weights. Batch norm's weights are rank 1, like
     * every bias and running statistic (RunMaskTest holds the zoo to this).
     */
    public static boolean isConvOrLinearWeight(String name, int[] shape) {
        return name.endsWith(".weight") && (shape.length == 2 || shape.length == 4);
    }

    /** Entries in all layers. */
    public long size() { return layers.stream().mapToLong(LayerMask::size).sum(); }

    /** Entries kept in all layers. */
    public long kept() { return layers.stream().mapToLong(LayerMask::keptCount).sum(); }

    /** The share of conv/linear weights pruned. */
    public double sparsity() { return size() == 0 ? 0 : 1 - (double) kept() / size(); }

    /**
     * Empty when {@code other} is of the same model (the same tensor names and shapes) with
     * masks on the same tensors, else the first difference in words.
     */
    public Optional<String> firstDifference(RunMask other) {
        for (Map.Entry<String, List<Integer>> t : tensors.entrySet()) {
            List<Integer> theirs = other.tensors.get(t.getKey());
            if (theirs == null) return Optional.of(other.file + " has no tensor '" + t.getKey() + "', which " + file + " has");
            if (!theirs.equals(t.getValue())) {
                return Optional.of("tensor '" + t.getKey() + "' has shape " + theirs + " in " + other.file + " but " + t.getValue() + " in " + file);
            }
        }
        for (String name : other.tensors.keySet()) {
            if (!tensors.containsKey(name)) return Optional.of(other.file + " has a tensor '" + name + "', which " + file + " has not");
        }
        List<String> ours = layers.stream().map(LayerMask::parameter).toList(), theirs = other.layers.stream().map(LayerMask::parameter).toList();
        if (!ours.equals(theirs)) {
            return Optional.of(file + " masks " + ours + " but " + other.file + " masks " + theirs);
        }
        return Optional.empty();
    }

    private static BitSet zeroOne(Path file, String name, FloatTensorData mask) {
        BitSet kept = new BitSet();
        for (int i = 0; i < mask.elements(); i++) {
            float v = mask.data().getAtIndex(ValueLayout.JAVA_FLOAT, i);
            if (v == 1f) kept.set(i);
            else if (v != 0f) {
                throw new IllegalArgumentException(file + ": mask tensor '" + name + "' holds " + v + " at entry " + i
                        + ", not 0 or 1; the file is damaged");
            }
        }
        return kept;
    }

    private static BitSet nonzero(FloatTensorData values) {
        BitSet kept = new BitSet();
        // -0.0 is a zero too (pruned weights are written +0.0, but a file from elsewhere may differ); NaN is kept
        for (int i = 0; i < values.elements(); i++) if (values.data().getAtIndex(ValueLayout.JAVA_FLOAT, i) != 0f) kept.set(i);
        return kept;
    }

    private static List<Integer> shape(FloatTensorData t) { return Arrays.stream(t.shape()).boxed().toList(); }
}
