package io.sparsestep.train;

import io.sparsestep.store.NetworkTensors;
import io.sparsestep.store.Checkpoint;
import io.sparsestep.store.CheckpointException;

import io.sparsestep.data.Datasets;
import io.sparsestep.nn.Architecture;
import io.sparsestep.nn.ModelCost;
import io.sparsestep.shrink.HostTensor;
import io.sparsestep.shrink.Shrink;
import io.sparsestep.store.AtomicFiles;
import io.sparsestep.store.DiskFullException;
import io.sparsestep.store.FloatTensorData;
import io.sparsestep.train.io.FolderLock;
import io.sparsestep.train.io.OutputFolder;
import io.sparsestep.store.Safetensors;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code sparsestep shrink}: a run's weights (or checkpoint) made into the smaller dense
 * network they describe ({@link Shrink}), written to another folder as
 * {@value #WEIGHTS} (whose metadata records the architecture) and then {@value #ARCHITECTURE}
 * (last, so a folder holding it is complete), each atomically. Nothing is written when
 * nothing can be removed.
 */
public final class ShrinkRun {
    public static final String WEIGHTS = "weights.safetensors", ARCHITECTURE = "architecture.json";

    /** What was shrunk, the result, the cost before and after, and where it went (null: nothing written). */
    public record Outcome(WeightsFile source, String dataset, Shrink.Result result, ModelCost before, ModelCost after, Path out) {}

    private ShrinkRun() {}

    /**
     * Shrinks {@code from} (a run folder: its weights.safetensors, else its checkpoint; or
     * such a file) into {@code out}. {@code model}, {@code widths} and {@code dataset} may be
     * null: the file's metadata says them.
     */
    public static Outcome run(Path from, Path out, String model, String widths, String dataset) {
        Path file = locate("shrink", from);
        WeightsFile source = WeightsFile.describe(file, model, widths);
        String data = dataset != null ? dataset : source.dataset();
        if (data == null) throw new IllegalArgumentException(file + " does not say which dataset it was trained on; pass --dataset");
        Datasets.Shape shape = Datasets.shape(data);
        checkOut(file, out);
        Shrink.Result r = Shrink.apply(source.architecture(), shape.input(), shape.classes(), read(file), file.toString());
        ModelCost before = ModelCost.of(r.before(), shape.input(), shape.classes());
        ModelCost after = ModelCost.of(r.after(), shape.input(), shape.classes());
        if (!r.changed()) return new Outcome(source, data, r, before, after, null);
        OutputFolder.checkUsable(out);
        try (FolderLock _ = FolderLock.acquire(out)) {
            write(out, source, data, r);
        } catch (IOException e) {
            // a full disk's own line names the file and its size
            throw new UncheckedIOException(e instanceof DiskFullException ? e.getMessage()
                    : "cannot write the shrunk model to " + out + ": " + e.getMessage(), e);
        }
        return new Outcome(source, data, r, before, after, out);
    }

    /** {@code from} itself when a file, else a run folder's weights.safetensors, else its checkpoint; {@code command} starts the errors. */
    public static Path locate(String command, Path from) {
        if (Files.isRegularFile(from)) return from;
        if (!Files.isDirectory(from)) {
            throw new IllegalArgumentException(command + " " + from + ": no such folder or file; pass a run folder (--out of `sparsestep train`) or its weights file");
        }
        for (String name : new String[] {WEIGHTS, Checkpoint.FILE_NAME}) {
            if (Files.isRegularFile(from.resolve(name))) return from.resolve(name);
        }
        throw new IllegalArgumentException(command + " " + from + ": holds neither " + WEIGHTS + " nor " + Checkpoint.FILE_NAME
                + "; pass the folder of a run that trained for at least one epoch");
    }

    /** The source's own folder, or another training run's, would lose its weights to the shrunk ones: refused. */
    private static void checkOut(Path file, Path out) {
        Path dir = out.toAbsolutePath().normalize();
        if (dir.equals(file.toAbsolutePath().normalize().getParent())) {
            throw new IllegalArgumentException("--out " + out + " is the folder of the weights being shrunk; its " + WEIGHTS
                    + " would be replaced: choose another --out");
        }
        for (String name : TrainingRun.OUTPUT_FILES) {
            if (!name.equals(WEIGHTS) && Files.exists(dir.resolve(name))) {
                throw new IllegalArgumentException("--out " + out + " holds a training run (" + name + "); choose another --out");
            }
        }
    }

    /** Every tensor of a safetensors file, on the heap. */
    public static LinkedHashMap<String, HostTensor> read(Path file) {
        try (Arena arena = Arena.ofConfined()) {
            LinkedHashMap<String, HostTensor> out = new LinkedHashMap<>();
            for (Map.Entry<String, FloatTensorData> e : Safetensors.read(file, arena).entrySet()) {
                out.put(e.getKey(), new HostTensor(e.getValue().shape(), e.getValue().data().toArray(ValueLayout.JAVA_FLOAT)));
            }
            return out;
        } catch (IOException e) {
            String m = String.valueOf(e.getMessage());
            throw new CheckpointException(m.contains(file.toString()) ? m : file + ": " + m, e);
        }
    }

    private static void write(Path out, WeightsFile source, String dataset, Shrink.Result r) throws IOException {
        LinkedHashMap<String, FloatTensorData> tensors = new LinkedHashMap<>();
        r.tensors().forEach((name, t) -> tensors.put(name, new FloatTensorData(t.shape(), MemorySegment.ofArray(t.values()))));
        Architecture after = r.after();
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("format", "sparsestep");
        meta.put("model", after.model());
        meta.put("dataset", dataset);
        meta.put(NetworkTensors.ARCHITECTURE, after.toCompactJson());
        meta.put("shrunk_from", source.file().toAbsolutePath().toString());
        // the inputs are normalised as the source's were
        String norm = Safetensors.readMetadata(source.file()).get(NormalizationMetadata.KEY);
        if (norm != null) meta.put(NormalizationMetadata.KEY, norm);
        Safetensors.write(out.resolve(WEIGHTS), tensors, meta);
        byte[] json = after.toJson().getBytes(StandardCharsets.UTF_8);
        AtomicFiles.write(out.resolve(ARCHITECTURE), o -> o.write(json));
    }
}
