package io.sparsestep.cli;

import io.sparsestep.store.AtomicFiles;
import io.sparsestep.train.io.OutputFolder;
import io.sparsestep.train.masks.MaskSimilarity;
import io.sparsestep.train.masks.RunMask;
import io.sparsestep.train.masks.SimilarityPng;
import io.sparsestep.train.masks.SimilarityTable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "compare", mixinStandardHelpOptions = true,
        description = "How alike the pruning masks of runs of one model are: per layer and overall, the Jaccard index of the weights "
                + "both keep, next to the level two independent random masks of the same densities reach by chance. A run's mask is "
                + "its mask.prune.* tensors (GSM, GMP, DropPruning, one-shot magnitude), else its nonzero conv/linear weights (gRDA, "
                + "SGD). Prints the table and writes jaccard.md, jaccard.csv and the heat map jaccard.png to --out.")
public final class MasksCompareCommand implements Callable<Integer> {
    static final String TABLE = "jaccard.md";
    static final String CSV = "jaccard.csv";
    static final String HEATMAP = "jaccard.png";

    @Parameters(arity = "2..*", paramLabel = "RUN", description = "run folders (their weights.safetensors, else checkpoint.safetensors) "
            + "or those files; two or more, of one model")
    List<Path> runs;

    @Option(names = "--out", description = "Output directory (default: ${DEFAULT-VALUE})")
    Path out = Path.of("masks-compare");

    /** Inputs first (read, one model), then the folder, then the outputs. */
    @Override
    public Integer call() throws IOException {
        List<RunMask> masks = read(runs);
        List<MaskSimilarity.Pair> pairs = MaskSimilarity.compare(masks);
        OutputFolder.checkUsable(out);
        java.nio.file.Files.createDirectories(out);
        String inputs = SimilarityTable.inputs(masks);
        System.out.print(inputs);
        System.out.println();
        System.out.print(SimilarityTable.console(pairs));
        String md = "# Mask similarity\n\n" + inputs.lines().map(l -> "- " + l).reduce("", (a, b) -> a + b + "\n") + "\n"
                + SimilarityTable.markdown(pairs) + "\n" + NOTE + "\n";
        AtomicFiles.write(out.resolve(TABLE), o -> o.write(md.getBytes(StandardCharsets.UTF_8)));
        byte[] csv = SimilarityTable.csv(pairs).getBytes(StandardCharsets.UTF_8);
        AtomicFiles.write(out.resolve(CSV), o -> o.write(csv));
        SimilarityPng.write(pairs, out.resolve(HEATMAP));
        System.out.println();
        System.out.println("outputs: " + out.resolve(TABLE) + ", " + out.resolve(CSV) + ", " + out.resolve(HEATMAP));
        return 0;
    }

    static final String NOTE = SimilarityTable.NOTE;

    /** The masks, each labelled by its run; where two labels coincide, by the argument as typed. */
    static List<RunMask> read(List<Path> runs) {
        List<RunMask> masks = runs.stream().map(RunMask::read).toList();
        Map<String, Integer> seen = new HashMap<>();
        for (RunMask m : masks) seen.merge(m.label(), 1, Integer::sum);
        List<RunMask> out = new ArrayList<>();
        for (int i = 0; i < masks.size(); i++) {
            RunMask m = masks.get(i);
            out.add(seen.get(m.label()) > 1 ? m.withLabel(runs.get(i).toString()) : m);
        }
        return out;
    }
}
