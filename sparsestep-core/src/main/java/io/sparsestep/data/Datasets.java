package io.sparsestep.data;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/** The datasets sparsestep knows by name: real files under a data directory, or synthetic. */
public final class Datasets {
    private static final List<String> IDS = List.of("mnist", "cifar10", "cifar100", "synth-digits", "synth-cifar");

    private Datasets() {
    }

    /** Valid dataset ids, in the order help texts should list them. */
    public static List<String> ids() {
        return IDS;
    }

    /** The whole dataset {@code id}; see {@link #load(String, Path, long, int, int)}. */
    public static TrainTest load(String id, Path dataDir, long seed) {
        return load(id, dataDir, seed, 0, 0);
    }

    /**
     * Dataset {@code id}. Real datasets (mnist, cifar10, cifar100) are read from
     * {@code dataDir} and keep their first {@code trainLimit}/{@code testLimit} images; the
     * seed does not affect them. Synthetic ones (synth-digits, synth-cifar) need no directory,
     * are generated from {@code seed}, and the limits are how many images to generate. A
     * limit of 0 means all (the default size for synthetic sets). Every split returned holds at
     * least one image: a file with none is a {@link DataException}.
     *
     * @throws IllegalArgumentException for an unknown id or a negative limit
     * @throws DataException            when the files are missing, malformed or hold no images
     */
    public static TrainTest load(String id, Path dataDir, long seed, int trainLimit, int testLimit) {
        // A negative count is a typo, not a request for everything: say so instead of loading all.
        requireLimit("--train-samples", trainLimit);
        requireLimit("--test-samples", testLimit);
        return switch (key(id)) {
            case "mnist" -> MnistIdx.load(dataDir, trainLimit, testLimit);
            case "cifar10" -> CifarBinary.loadCifar10(dataDir, trainLimit, testLimit);
            case "cifar100" -> CifarBinary.loadCifar100(dataDir, trainLimit, testLimit);
            case "synth-digits" -> SynthDigits.generate(seed, trainLimit, testLimit);
            case "synth-cifar" -> SynthCifar.generate(seed, trainLimit, testLimit);
            default -> throw unknown(id);
        };
    }

    /** What a model needs to know of a dataset: its per-sample image shape and its number of classes. */
    public record Shape(int channels, int height, int width, int classes) {
        /** [C,H,W]. */
        public int[] input() { return new int[] {channels, height, width}; }

        /** The shape of loaded data. */
        public static Shape of(TrainTest data) { return new Shape(data.channels(), data.height(), data.width(), data.classes()); }
    }

    /** The image shape and class count of dataset {@code id}, as {@link #load} returns it, without loading anything. */
    public static Shape shape(String id) {
        return switch (key(id)) {
            case "mnist" -> new Shape(1, MnistIdx.SIDE, MnistIdx.SIDE, MnistIdx.CLASSES);
            case "cifar10" -> new Shape(3, CifarBinary.SIDE, CifarBinary.SIDE, CifarBinary.Variant.CIFAR10.classes);
            case "cifar100" -> new Shape(3, CifarBinary.SIDE, CifarBinary.SIDE, CifarBinary.Variant.CIFAR100.classes);
            case "synth-digits" -> new Shape(1, SynthDigits.SIDE, SynthDigits.SIDE, SynthDigits.CLASSES);
            case "synth-cifar" -> new Shape(3, SynthCifar.SIDE, SynthCifar.SIDE, SynthCifar.CLASSES);
            default -> throw unknown(id);
        };
    }

    private static void requireLimit(String option, int limit) {
        if (limit < 0) {
            throw new IllegalArgumentException(option + " must be 0 (all images) or a positive count, got " + limit);
        }
    }

    /** Checks that {@code id} names a dataset (as {@link #load} spells it), without loading anything. */
    public static void requireKnown(String id) {
        if (!IDS.contains(key(id))) throw unknown(id);
    }

    /** True for the generated datasets, which read no files (and so use no data directory). */
    public static boolean isSynthetic(String id) {
        requireKnown(id);
        return key(id).startsWith("synth-");
    }

    private static String key(String id) {
        return id == null ? "" : id.trim().toLowerCase(Locale.ROOT);
    }

    private static IllegalArgumentException unknown(String id) {
        return new IllegalArgumentException("unknown dataset '" + id + "' (valid: " + String.join(", ", IDS) + ")");
    }
}
