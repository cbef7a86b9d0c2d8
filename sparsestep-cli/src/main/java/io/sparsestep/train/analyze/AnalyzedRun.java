package io.sparsestep.train.analyze;

import io.sparsestep.data.Augmentation;
import io.sparsestep.store.Checkpoint;
import io.sparsestep.train.WeightsFile;
import io.sparsestep.train.masks.RunMask;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A run given to {@code analyze}: a run folder (its weights.safetensors, else its
 * checkpoint.safetensors) or one of those files, what model it holds ({@link WeightsFile}),
 * and the data it was trained on. The data options come from the run's checkpoint (the
 * {@code train} arguments it records: dataset, data folder, seed, sample limits,
 * augmentation), so the analysis sees the same images, normalised the same way; a run with
 * no checkpoint beside its weights gets its dataset from the weights' metadata and the
 * defaults of {@code train} (seed 1, every sample, the data's default augmentation), and
 * {@link Data#source} says so.
 */
public record AnalyzedRun(String option, Path given, WeightsFile weights, Data data) {
    /** The data options of a run, as {@code train} took them; {@code augment} null for the data's default. */
    public record Data(String dataset, Path dataDir, long seed, int trainSamples, int testSamples, String augment, String source) {
        /** Whether training augmented the images ({@code --augment}, or the default for this many channels). */
        public boolean augments(int channels) { return Augmentation.resolve(augment, channels) == Augmentation.CROP_FLIP; }

        /** The same options with the dataset files in {@code dir} (a run moved to another machine). */
        public Data withDataDir(Path dir) { return new Data(dataset, dir, seed, trainSamples, testSamples, augment, source + ", --data-dir " + dir); }
    }

    /** Reads {@code given} (named {@code option} in messages, e.g. "--a"); a missing or foreign file is one line naming it. */
    public static AnalyzedRun read(String option, Path given) {
        Path file;
        try {
            file = RunMask.fileOf(given);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(option + " " + e.getMessage(), e);
        }
        WeightsFile weights = WeightsFile.describe(file, null, null);
        return new AnalyzedRun(option, given, weights, data(file, weights));
    }

    public Path file() { return weights.file(); }

    /** A short name for tables and legends: the run folder's name. */
    public String label() {
        Path abs = given.toAbsolutePath().normalize();
        Path folder = Files.isDirectory(abs) ? abs : abs.getParent();
        return folder == null || folder.getFileName() == null ? String.valueOf(abs.getFileName()) : folder.getFileName().toString();
    }

    /**
     * Empty when {@code other} holds the same model (model id and widths) trained on the same
     * dataset, else why not in one line.
     */
    public java.util.Optional<String> mismatch(AnalyzedRun other) {
        if (!weights.architecture().equals(other.weights.architecture())) {
            String mine = weights.model() + (weights.architecture().isDefault() ? "" : " (with other widths)");
            String theirs = other.weights.model() + (other.weights.architecture().isDefault() ? "" : " (with other widths)");
            return java.util.Optional.of(other.option + " " + other.file() + " holds " + theirs + " but " + option + " " + file() + " holds "
                    + mine + "; both runs must be of one model");
        }
        if (!data.dataset().equals(other.data.dataset())) {
            return java.util.Optional.of(other.option + " " + other.file() + " was trained on " + other.data.dataset() + " but " + option + " "
                    + file() + " on " + data.dataset() + "; both runs must be of one dataset");
        }
        return java.util.Optional.empty();
    }

    private static Data data(Path file, WeightsFile weights) {
        Path checkpoint = file.getFileName().toString().equals(Checkpoint.FILE_NAME) ? file : file.resolveSibling(Checkpoint.FILE_NAME);
        if (Files.isRegularFile(checkpoint)) {
            Map<String, String> meta = WeightsFile.metadata(checkpoint);
            if (meta.get("config") != null) {
                List<String> args = new Checkpoint(checkpoint, meta, new LinkedHashMap<>()).args();
                String dir = value(args, "--data-dir");
                return new Data(orElse(value(args, "--dataset"), "synth-digits"), dir == null ? null : Path.of(dir),
                        Long.parseLong(orElse(value(args, "--seed"), "1")), Integer.parseInt(orElse(value(args, "--train-samples"), "0")),
                        Integer.parseInt(orElse(value(args, "--test-samples"), "0")), value(args, "--augment"),
                        "the data options recorded in " + checkpoint);
            }
        }
        String dataset = weights.dataset();
        if (dataset == null) {
            throw new IllegalArgumentException(file + " does not say which dataset it was trained on (no metadata, no checkpoint beside it); "
                    + "pass the folder of a sparsestep run");
        }
        return new Data(dataset, null, 1, 0, 0, null, "no checkpoint beside " + file + ": its dataset " + dataset
                + " with train's defaults (seed 1, all samples)");
    }

    private static String value(List<String> args, String option) {
        int i = args.indexOf(option);
        return i >= 0 && i + 1 < args.size() ? args.get(i + 1) : null;
    }

    private static String orElse(String v, String fallback) { return v == null ? fallback : v; }
}
