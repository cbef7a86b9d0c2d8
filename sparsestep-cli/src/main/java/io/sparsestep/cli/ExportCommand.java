package io.sparsestep.cli;

import io.sparsestep.data.Datasets;
import io.sparsestep.data.Normalization;
import io.sparsestep.train.ExportRun;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

@Command(name = "export", mixinStandardHelpOptions = true,
        description = "A trained run as an ONNX model (opset 17) that ONNX Runtime and other frameworks load: input 'pixels' float32 "
                + "[batch, C, H, W] with raw pixel values 0..255 (the training normalisation is part of the graph), output 'logits'. "
                + "--variant shrunk removes units nobody reads and every zero filter first: a smaller dense network, the same logits.")
public final class ExportCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "RUN", description = "A run folder (its weights.safetensors, else its checkpoint) or such a file")
    Path from;

    @Option(names = "--format", description = "onnx (default: ${DEFAULT-VALUE})")
    String format = "onnx";

    @Option(names = "--out", description = "The .onnx file to write (default: model.onnx, model-shrunk.onnx, ... next to the weights)")
    Path out;

    @Option(names = "--variant", description = "dense (as trained) or shrunk (dead units and zero filters removed) (default: ${DEFAULT-VALUE})")
    String variant = "dense";

    @Option(names = "--sparse-initializers", description = "Store conv/linear weights at most a third non-zero as ONNX sparse_initializer "
            + "(values and int64 indices)")
    boolean sparse;

    @Option(names = "--dataset", description = "The dataset the run trained on (default: what the weights' metadata says)")
    String dataset;

    @Option(names = "--data-dir", description = "Only for weights without a recorded normalisation: the training data to compute it from")
    Path dataDir;

    @Option(names = "--seed", description = "Only for weights without a recorded normalisation: the seed synthetic data was made with (default: ${DEFAULT-VALUE})")
    long seed = 1;

    @Option(names = "--train-samples", description = "Only for weights without a recorded normalisation: as in training (default: ${DEFAULT-VALUE})")
    int trainLimit = 0;

    @Override
    public Integer call() {
        if (!format.equals("onnx")) throw new IllegalArgumentException("--format must be onnx, got '" + format + "'");
        ExportRun.Variant v = ExportRun.Variant.parse(variant);
        if (dataset != null) Datasets.requireKnown(dataset);
        Path target = out != null ? out : defaultOut(v);
        ExportRun.Outcome o = ExportRun.run(from, target, v, sparse, dataset, () -> {
            String d = dataset != null ? dataset : "synth-digits";
            System.out.println("the weights record no input normalisation; computing it from " + d + "'s training split (pass the data options the run trained with)");
            return Normalization.of(Datasets.load(d, dataDir, seed, trainLimit, 1).train());
        });
        System.out.println(ExportRun.describe(o));
        return 0;
    }

    private Path defaultOut(ExportRun.Variant v) {
        Path dir = Files.isDirectory(from) ? from : from.toAbsolutePath().getParent();
        return dir.resolve("model" + (v == ExportRun.Variant.DENSE ? "" : "-" + v.option) + (sparse ? "-sparse" : "") + ".onnx");
    }
}
