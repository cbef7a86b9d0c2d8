package io.sparsestep.train;

import io.sparsestep.store.CheckpointException;

import io.sparsestep.data.Datasets;
import io.sparsestep.data.Normalization;
import io.sparsestep.nn.Architecture;
import io.sparsestep.nn.Models;
import io.sparsestep.nn.ModelCost;
import io.sparsestep.nn.ModelGraph;
import io.sparsestep.shrink.DeadUnits;
import io.sparsestep.shrink.HostTensor;
import io.sparsestep.shrink.Shrink;
import io.sparsestep.store.OnnxModel;
import io.sparsestep.store.AtomicFiles;
import io.sparsestep.store.DiskFullException;
import io.sparsestep.store.Safetensors;
import io.sparsestep.train.io.SparsestepVersion;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;

/**
 * {@code sparsestep export --format onnx}: a run's weights as an ONNX model, either as
 * trained ({@link Variant#DENSE}) or {@link Variant#SHRUNK}: units nobody reads removed
 * ({@link DeadUnits}: outgoing weights all zero) and then every zero filter, channel and
 * row removed by {@link Shrink}, so the file holds a smaller dense network that computes
 * the same logits. The input normalisation comes from the weights' metadata (every run
 * since it was recorded) or, for older files, from {@code fallback} (the training data).
 */
public final class ExportRun {
    public enum Variant {
        DENSE("dense"), SHRUNK("shrunk");

        public final String option;

        Variant(String option) { this.option = option; }

        public static Variant parse(String s) {
            for (Variant v : values()) if (v.option.equals(s)) return v;
            throw new IllegalArgumentException("--variant must be dense or shrunk, got '" + s + "'");
        }
    }

    /**
     * What was written: the architecture exported, its cost, the units the dead-unit pass
     * zeroed, the ONNX model's bytes, nodes and sparse initializers, and where the
     * normalisation came from.
     */
    public record Outcome(Path out, WeightsFile source, Architecture exported, ModelCost before, ModelCost after, int deadUnits,
                          long bytes, int nodes, int sparseInitializers, String normalizationSource) {}

    private ExportRun() {}

    public static Outcome run(Path from, Path out, Variant variant, boolean sparse, String dataset, Supplier<Normalization> fallback) {
        Path file = ShrinkRun.locate("export", from);
        WeightsFile source = WeightsFile.describe(file, null, null);
        String data = dataset != null ? dataset : source.dataset();
        if (data == null) throw new IllegalArgumentException(file + " does not say which dataset it was trained on; pass --dataset");
        Datasets.Shape shape = Datasets.shape(data);
        Map<String, String> meta;
        try {
            meta = Safetensors.readMetadata(file);
        } catch (IOException e) {
            throw new CheckpointException(file + ": " + e.getMessage(), e);
        }
        Normalization norm;
        String normSource;
        if (meta.containsKey(NormalizationMetadata.KEY)) {
            norm = NormalizationMetadata.fromJson(meta.get(NormalizationMetadata.KEY), file.toString());
            normSource = "the weights' metadata";
        } else {
            norm = fallback.get();
            normSource = "the training split (the file records none)";
        }
        // fresh heap arrays of this file: the dead-unit pass may write into them
        LinkedHashMap<String, HostTensor> tensors = ShrinkRun.read(file);
        Architecture arch = source.architecture();
        int dead = 0;
        if (variant == Variant.SHRUNK) {
            ModelGraph g = ModelGraph.of(Models.create(arch, shape.input(), shape.classes()), shape.input());
            dead = DeadUnits.zero(g, tensors);
            Shrink.Result r = Shrink.apply(arch, shape.input(), shape.classes(), tensors, file.toString());
            arch = r.after();
            tensors = r.tensors();
        }
        ModelGraph graph = ModelGraph.of(Models.create(arch, shape.input(), shape.classes()), shape.input());
        Map<String, String> props = new LinkedHashMap<>();
        props.put("model", arch.model());
        props.put("dataset", data);
        props.put("architecture", arch.toCompactJson());
        props.put("variant", variant.option + (sparse ? ", sparse initializers" : ""));
        props.put("exported_from", file.toAbsolutePath().toString());
        props.put("sparsestep_version", SparsestepVersion.get());
        OnnxModel.Built built = OnnxModel.build(graph, tensors, norm, sparse, arch.model(), props);
        try {
            AtomicFiles.write(out, o -> o.write(built.bytes()));
        } catch (IOException e) {
            throw new UncheckedIOException(e instanceof DiskFullException ? e.getMessage() : "cannot write " + out + ": " + e.getMessage(), e);
        }
        return new Outcome(out, source, arch, ModelCost.of(source.architecture(), shape.input(), shape.classes()),
                ModelCost.of(arch, shape.input(), shape.classes()), dead, built.bytes().length, built.nodes(), built.sparseInitializers(), normSource);
    }

    /** One line per fact, for the command. */
    public static String describe(Outcome o) {
        return String.format(Locale.ROOT, "%s: ONNX opset %d, %,d bytes, %d nodes%s; %s; %,d parameters%s; normalisation from %s",
                o.out(), OnnxModel.OPSET, o.bytes(), o.nodes(), o.sparseInitializers() > 0 ? ", " + o.sparseInitializers() + " sparse initializers" : "",
                o.exported().isDefault() ? o.exported().model() + " as trained" : o.exported().model() + " widths " + o.exported().widths(),
                o.after().parameters(), o.deadUnits() > 0 ? " (" + o.deadUnits() + " units nobody read removed)" : "", o.normalizationSource());
    }
}
