package io.sparsestep.store;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.sparsestep.nn.Network;
import io.sparsestep.optim.Optimizer;
import io.sparsestep.params.Mask;
import io.sparsestep.params.ParamBuffer;
import io.sparsestep.params.ParamEntry;
import io.sparsestep.params.ParamGroup;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A run's complete state at an epoch boundary, in one safetensors file
 * ({@value #FILE_NAME} in the run folder), written atomically (temp file, fsync, rename:
 * the previous checkpoint stays until the new one is complete).
 *
 * <p>Tensors: every parameter and batch-norm running statistic under its weights.safetensors
 * name (so a checkpoint is also a weights file for {@code --init-from} and {@code eval}),
 * then every optimizer buffer per parameter as {@code optimizer.<buffer>.<parameter>}
 * (e.g. {@code optimizer.acc.fc1.weight}), and a masked method's masks per prunable tensor
 * as float32 0/1 ({@code mask.<mask>.<parameter>}). Metadata (strings): {@code format},
 * {@code format_version}, the sparsestep version, model, dataset, method, the run's full
 * configuration as the canonical command-line arguments ({@code config}, a JSON list),
 * {@code epochs_done}, {@code global_step}, the optimizer's scalars as
 * {@code optimizer.<scalar>} (doubles printed so they read back exactly), and the metrics
 * rows so far ({@code rows}, JSON), so a resumed run rewrites metrics.csv as the
 * uninterrupted run had it, and, when the run has them, the entries its caller adds to
 * summary.json ({@code summary}, a JSON object, e.g. {@code retrain}'s provenance), so a
 * resumed run's summary says what the uninterrupted one's would.
 */
public record Checkpoint(Path file, Map<String, String> metadata, LinkedHashMap<String, FloatTensorData> tensors) {
    public static final String FILE_NAME = "checkpoint.safetensors";
    static final String FORMAT = "sparsestep-checkpoint";
    static final String VERSION = "1";
    private static final String OPTIMIZER = "optimizer.";
    private static final String MASK = "mask.";
    private static final String SUMMARY = "summary";
    private static final ObjectMapper JSON = JsonMapper.builder().build();

    /** Writes the state of {@code net}, {@code opt} after {@code position} to {@code file}. */
    public static void write(Path file, Network net, Optimizer opt, RunPosition position, RunIdentity identity) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            LinkedHashMap<String, FloatTensorData> tensors = NetworkTensors.of(net, arena);
            for (Map.Entry<String, ParamBuffer> b : opt.state().buffers().entrySet()) {
                MemorySegment all = net.downloadAll(b.getValue().buffer(), arena);
                for (ParamEntry e : b.getValue().layout().entries()) {
                    tensors.put(OPTIMIZER + b.getKey() + "." + e.name(), new FloatTensorData(e.shape(), all.asSlice(4 * e.offset(), 4 * e.size())));
                }
            }
            for (Map.Entry<String, Mask> m : opt.state().masks().entrySet()) putMask(tensors, m.getKey(), m.getValue(), arena);
            Map<String, String> meta = new LinkedHashMap<>();
            meta.put("format", FORMAT);
            meta.put("format_version", VERSION);
            meta.put("sparsestep_version", identity.version());
            meta.put("model", identity.model());
            meta.put("dataset", identity.dataset());
            meta.put("method", opt.name());
            meta.put("config", JSON.writeValueAsString(identity.args()));
            meta.put("epochs_done", Integer.toString(position.epochsDone()));
            meta.put("global_step", Long.toString(position.globalStep()));
            for (Map.Entry<String, Double> s : opt.state().scalars().entrySet()) meta.put(OPTIMIZER + s.getKey(), Double.toString(s.getValue()));
            meta.put("rows", JSON.writeValueAsString(position.rows()));
            if (!identity.summary().isEmpty()) meta.put(SUMMARY, JSON.writeValueAsString(identity.summary()));
            Safetensors.write(file, tensors, meta);
        }
    }

    /**
     * A mask as float32 0/1 per prunable tensor, {@code mask.<mask>.<parameter>}: the file
     * format's reader takes float32 only, and a checkpoint's size is not the point (in
     * memory a mask stays one byte per weight).
     */
    /** The mask as float32 0/1 tensors, one per prunable tensor, named {@code mask.<mask>.<parameter>} (also in weights.safetensors). */
    public static void putMask(LinkedHashMap<String, FloatTensorData> tensors, String maskName, Mask mask, Arena arena) {
        byte[] bytes = mask.toHost();
        long start = mask.space().layout().group(ParamGroup.WEIGHTS).offset();
        for (ParamEntry e : mask.space().layout().entries()) {
            if (e.group() != ParamGroup.WEIGHTS) continue;
            MemorySegment data = arena.allocate(4 * e.size(), 4);
            for (long i = 0; i < e.size(); i++) {
                data.setAtIndex(ValueLayout.JAVA_FLOAT, i, bytes[Math.toIntExact(e.offset() - start + i)] != 0 ? 1f : 0f);
            }
            tensors.put(MASK + maskName + "." + e.name(), new FloatTensorData(e.shape(), data));
        }
    }

    private void restoreMask(String maskName, Mask mask) {
        byte[] bytes = new byte[Math.toIntExact(mask.size())];
        long start = mask.space().layout().group(ParamGroup.WEIGHTS).offset();
        for (ParamEntry e : mask.space().layout().entries()) {
            if (e.group() != ParamGroup.WEIGHTS) continue;
            String name = MASK + maskName + "." + e.name();
            FloatTensorData t = tensors.get(name);
            if (t == null || !Arrays.equals(t.shape(), e.shape())) {
                throw new CheckpointException(file + ": mask tensor '" + name + "' is " + (t == null ? "missing" : "of shape "
                        + Arrays.toString(t.shape()) + ", not " + Arrays.toString(e.shape())));
            }
            for (long i = 0; i < e.size(); i++) {
                float v = t.data().getAtIndex(ValueLayout.JAVA_FLOAT, i);
                if (v != 0f && v != 1f) throw new CheckpointException(file + ": mask tensor '" + name + "' holds " + v + ", not 0 or 1");
                bytes[Math.toIntExact(e.offset() - start + i)] = (byte) (v == 1f ? 1 : 0);
            }
        }
        mask.fromHost(bytes);
    }

    /**
     * What a checkpoint says about the run it belongs to: enough to rebuild it and to refuse a
     * foreign one; {@code summary} are the entries the run's caller adds to summary.json's
     * hyperparameters (none for a plain run), which a resumed run must write again.
     */
    public record RunIdentity(String version, String model, String dataset, List<String> args, Map<String, Object> summary) {
        public RunIdentity {
            args = List.copyOf(args);
            summary = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(summary));
        }

        /** A plain run's identity: no entries of a caller's. */
        public RunIdentity(String version, String model, String dataset, List<String> args) {
            this(version, model, dataset, args, Map.of());
        }
    }

    /** Reads and validates {@code file}; a foreign, old or damaged file is refused in one line naming it. */
    public static Checkpoint read(Path file, Arena arena) {
        if (!Files.isRegularFile(file)) {
            throw new CheckpointException("no checkpoint at " + file + "; start the run with `sparsestep train` (it writes one every epoch)");
        }
        Map<String, String> meta;
        LinkedHashMap<String, FloatTensorData> tensors;
        try {
            meta = Safetensors.readMetadata(file);
            if (!FORMAT.equals(meta.get("format"))) {
                throw new CheckpointException(file + ": not a sparsestep checkpoint (format '" + meta.get("format")
                        + "'); a weights file goes to `train --init-from` or `eval --weights`");
            }
            if (!VERSION.equals(meta.get("format_version"))) {
                throw new CheckpointException(file + ": checkpoint format version '" + meta.get("format_version") + "'; this sparsestep reads "
                        + VERSION + "; resume it with the sparsestep that wrote it (" + meta.get("sparsestep_version") + ")");
            }
            tensors = Safetensors.read(file, arena);
        } catch (IOException e) {
            throw new CheckpointException(oneLine(file, e), e);
        }
        Checkpoint c = new Checkpoint(file, meta, tensors);
        c.epochsDone();
        c.globalStep();
        c.rows();
        c.args();
        c.summaryEntries();
        return c;
    }

    private static String oneLine(Path file, IOException e) {
        String m = e.getMessage() == null ? e.toString() : e.getMessage();
        return m.contains(file.toString()) ? m : file + ": " + m;
    }

    public String model() { return required("model"); }
    public String dataset() { return required("dataset"); }
    public String method() { return required("method"); }

    public int epochsDone() { return Math.toIntExact(count("epochs_done")); }
    public long globalStep() { return count("global_step"); }

    /** The run's configuration as canonical command-line arguments (without the command). */
    public List<String> args() {
        try {
            return JSON.readValue(required("config"), new TypeReference<List<String>>() {});
        } catch (JsonProcessingException e) {
            throw corrupt("config", "is not a JSON list of strings");
        }
    }

    public List<EpochRow> rows() {
        try {
            List<EpochRow> rows = JSON.readValue(required("rows"), new TypeReference<List<EpochRow>>() {});
            if (rows.size() != epochsDone()) throw corrupt("rows", "holds " + rows.size() + " rows for " + epochsDone() + " epochs done");
            return rows;
        } catch (JsonProcessingException e) {
            throw corrupt("rows", "is not a JSON list of epoch rows");
        }
    }

    /** The entries the run's caller added to summary.json (see {@link RunIdentity}); empty for a plain run or an older checkpoint. */
    public Map<String, Object> summaryEntries() {
        String json = metadata.get(SUMMARY);
        if (json == null) return Map.of();
        try {
            return JSON.readValue(json, new TypeReference<LinkedHashMap<String, Object>>() {});
        } catch (JsonProcessingException e) {
            throw corrupt(SUMMARY, "is not a JSON object");
        }
    }

    public RunPosition position() { return new RunPosition(epochsDone(), globalStep(), rows()); }

    /** Puts the weights, running statistics, optimizer buffers and scalars back (names and shapes checked first). */
    public void restoreInto(Network net, Optimizer opt) {
        NetworkTensors.load(net, tensors, file);
        if (!method().equals(opt.name())) throw new CheckpointException(file + ": written by method " + method() + ", not " + opt.name());
        for (Map.Entry<String, ParamBuffer> b : opt.state().buffers().entrySet()) {
            float[] whole = new float[Math.toIntExact(b.getValue().layout().words())];
            for (ParamEntry e : b.getValue().layout().entries()) {
                String name = OPTIMIZER + b.getKey() + "." + e.name();
                FloatTensorData t = tensors.get(name);
                if (t == null || !Arrays.equals(t.shape(), e.shape())) {
                    throw new CheckpointException(file + ": optimizer tensor '" + name + "' is " + (t == null ? "missing" : "of shape "
                            + Arrays.toString(t.shape()) + ", not " + Arrays.toString(e.shape())));
                }
                MemorySegment.copy(t.data(), ValueLayout.JAVA_FLOAT, 0, whole, Math.toIntExact(e.offset()), Math.toIntExact(e.size()));
            }
            b.getValue().fromHost(whole);
        }
        for (Map.Entry<String, Mask> m : opt.state().masks().entrySet()) restoreMask(m.getKey(), m.getValue());
        Map<String, Double> scalars = new LinkedHashMap<>();
        for (Map.Entry<String, String> m : metadata.entrySet()) {
            if (!m.getKey().startsWith(OPTIMIZER)) continue;
            try {
                scalars.put(m.getKey().substring(OPTIMIZER.length()), Double.parseDouble(m.getValue()));
            } catch (NumberFormatException e) {
                throw corrupt(m.getKey(), "is '" + m.getValue() + "', not a number");
            }
        }
        try {
            opt.restoreScalars(scalars);
        } catch (IllegalArgumentException e) {
            throw new CheckpointException(file + ": " + e.getMessage(), e);
        }
    }

    private String required(String key) {
        String v = metadata.get(key);
        if (v == null) throw corrupt(key, "is missing");
        return v;
    }

    private long count(String key) {
        String v = required(key);
        try {
            long n = Long.parseLong(v);
            if (n < 0) throw corrupt(key, "is negative (" + v + ")");
            return n;
        } catch (NumberFormatException e) {
            throw corrupt(key, "is '" + v + "', not a whole number");
        }
    }

    private CheckpointException corrupt(String key, String problem) {
        return new CheckpointException(file + ": checkpoint metadata '" + key + "' " + problem + "; the file is damaged, resume from an older copy or start again");
    }
}
