package io.sparsestep.train.retrain;

import io.sparsestep.nn.Architecture;
import io.sparsestep.store.Checkpoint;
import io.sparsestep.store.CheckpointException;
import io.sparsestep.train.WeightsFile;
import io.sparsestep.store.Safetensors;
import io.sparsestep.train.masks.RunMask;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * What {@code retrain --from RUN} names: the pruned weights ({@code RUN/weights.safetensors},
 * or the file itself), the structure they hold (the architecture their metadata records, the
 * mask {@link RunMask} reads from them) and the checkpoint whose recorded command line is the
 * recipe (data, limits, seed, epochs): the run's own, or for a {@code shrink} output the one
 * beside the weights it was shrunk from ({@code shrunk_from}). {@code architectureFile} is an
 * architecture.json beside the weights (what shrink writes), or null.
 */
public record RetrainSource(Path weights, Path recipe, Structure structure, Path architectureFile) {
    private static final String SHRUNK_FROM = "shrunk_from", ARCHITECTURE_FILE = "architecture.json";

    public static RetrainSource resolve(Path from) {
        Path weights = weightsOf(from);
        WeightsFile described = WeightsFile.describe(weights, null, null);
        RunMask mask = RunMask.read(weights);
        Structure structure = new Structure(described.architecture(), mask.kept() == mask.size() ? null : mask);
        Path arch = weights.toAbsolutePath().getParent().resolve(ARCHITECTURE_FILE);
        return new RetrainSource(weights, recipeOf(weights), structure, Files.isRegularFile(arch) ? arch : null);
    }

    /**
     * The {@code --widths} value that names the structure's architecture: none for the model's
     * own widths, else the recipe's own {@code --widths} when it is the same architecture, else
     * the architecture.json beside the weights.
     */
    public String widths(String recipeWidths, Architecture recipeArchitecture) {
        Architecture arch = structure.architecture();
        if (arch.isDefault()) return null;
        if (recipeWidths != null && recipeArchitecture.equals(arch)) return recipeWidths;
        if (architectureFile != null && Architecture.read(architectureFile).equals(arch)) return architectureFile.toString();
        throw new IllegalArgumentException(weights + " has other widths than its model's, and no " + ARCHITECTURE_FILE
                + " beside it holds them; pass the folder `sparsestep shrink` wrote (weights.safetensors with its architecture.json)");
    }

    /** {@code out} must not be a folder retrain reads from: the run's outputs there would be cleared. */
    public void refuseAsOutput(Path out) {
        Path dir = out.toAbsolutePath().normalize();
        for (Path read : new Path[] {weights, recipe}) {
            if (dir.equals(read.toAbsolutePath().normalize().getParent())) {
                throw new IllegalArgumentException("--out " + out + " is the folder of " + read.getFileName() + " that retrain reads; "
                        + "its files would be replaced: choose another --out");
            }
        }
    }

    private static Path weightsOf(Path from) {
        if (Files.isRegularFile(from)) return from;
        if (!Files.isDirectory(from)) {
            throw new IllegalArgumentException("retrain --from " + from + ": no such folder or file; pass the --out folder of a pruned run "
                    + "(of `sparsestep train`, or what `sparsestep shrink` wrote)");
        }
        Path w = from.resolve(RunMask.WEIGHTS_FILE);
        if (Files.isRegularFile(w)) return w;
        String why = Files.isRegularFile(from.resolve(Checkpoint.FILE_NAME))
                ? "the run has not finished (it holds only its checkpoint): let it finish, or `sparsestep resume " + from + "`"
                : "pass the --out folder of a finished `sparsestep train` run, or what `sparsestep shrink` wrote";
        throw new IllegalArgumentException("retrain --from " + from + ": no " + RunMask.WEIGHTS_FILE + " in this folder; " + why);
    }

    /** The checkpoint beside the weights, else beside (or being) the file they were shrunk from. */
    private static Path recipeOf(Path weights) {
        Path own = weights.toAbsolutePath().getParent().resolve(Checkpoint.FILE_NAME);
        if (Files.isRegularFile(own)) return own;
        String shrunk = metadata(weights).get(SHRUNK_FROM);
        if (shrunk != null) {
            Path source = Path.of(shrunk);
            Path ck = source.getFileName().toString().equals(Checkpoint.FILE_NAME) ? source : source.getParent().resolve(Checkpoint.FILE_NAME);
            if (Files.isRegularFile(ck)) return ck;
        }
        throw new IllegalArgumentException(weights + ": no " + Checkpoint.FILE_NAME + " beside it" + (shrunk != null ? " or beside " + shrunk
                + ", the file it was shrunk from," : "") + " to take the recipe (dataset, limits, seed, epochs) from; retrain needs a run of "
                + "`sparsestep train` or a `shrink` output of one");
    }

    private static Map<String, String> metadata(Path file) {
        try {
            return Safetensors.readMetadata(file);
        } catch (IOException e) {
            String m = String.valueOf(e.getMessage());
            throw new CheckpointException(m.contains(file.toString()) ? m : file + ": " + m, e);
        }
    }

    /** The checkpoint's metadata, the part that records the run's command line (its tensors are not needed). */
    public Checkpoint recipeCheckpoint() {
        Map<String, String> meta = metadata(recipe);
        if (!"sparsestep-checkpoint".equals(meta.get("format"))) {
            throw new CheckpointException(recipe + ": not a sparsestep checkpoint (format '" + meta.get("format") + "'); retrain reads the "
                    + "recipe from the checkpoint.safetensors `sparsestep train` writes");
        }
        return new Checkpoint(recipe, meta, new java.util.LinkedHashMap<>());
    }
}
