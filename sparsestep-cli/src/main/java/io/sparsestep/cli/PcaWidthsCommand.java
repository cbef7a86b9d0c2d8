package io.sparsestep.cli;

import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.sparsestep.backend.Backend;
import io.sparsestep.data.Datasets;
import io.sparsestep.data.TrainTest;
import io.sparsestep.devices.Backends;
import io.sparsestep.train.PcaConnections;
import io.sparsestep.train.PcaWidths;
import io.sparsestep.train.RunConfig;
import io.sparsestep.store.AtomicFiles;
import io.sparsestep.store.DiskFullException;
import io.sparsestep.train.retrain.RetrainMode;
import io.sparsestep.train.retrain.RetrainOptions;
import io.sparsestep.train.retrain.RetrainPlan;
import io.sparsestep.train.retrain.RetrainSource;
import io.sparsestep.train.retrain.Structure;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "pca-widths", mixinStandardHelpOptions = true,
        description = {"Find each layer's width by PCA of its activations ((Pen-)Ultimate DNN Pruning, our design): run the trained "
                + "network (evaluation mode) over the first --samples training images; per conv/linear layer followed by its own ReLU, "
                + "the ReLU's outputs (after batch norm where there is one; conv: channels, every spatial position an observation) "
                + "give a covariance; the width is the smallest m whose top-m eigenvalues explain --variance of the variance.",
                "Writes the widths as an architecture file (what --widths and `retrain` read) and FILE's -report.json (eigenvalues, "
                        + "the m most important units kept, by eigenvalue-weighted |loading| on the top m components, ties by index); "
                        + "--retrain scratch-e|scratch-b then trains those widths once from a fresh initialisation."})
public final class PcaWidthsCommand implements Callable<Integer> {
    private static final JsonMapper JSON = JsonMapper.builder().enable(SerializationFeature.INDENT_OUTPUT).build();

    @Option(names = "--from", required = true, paramLabel = "RUN", description = "a trained run's --out folder (weights.safetensors and checkpoint.safetensors) or its weights file")
    Path from;

    @Option(names = "--samples", description = "training images the activations are taken over (default: ${DEFAULT-VALUE}; at most the run's training set)")
    int samples = 1000;

    @Option(names = "--variance", description = "share of the variance the kept components explain, in (0, 1] (default: ${DEFAULT-VALUE})")
    double variance = 0.99;

    @Option(names = "--out", paramLabel = "FILE", description = "the architecture file to write (default: runs/<RUN's folder name>-pca-widths.json)")
    Path out;

    @Option(names = "--connections", description = "prune (ALGORITHMS.md 9: in the fully-connected layers, mask the dropped units and, in "
            + "each kept unit, the connections whose cumulative importance |w_ij| E|a_i| / sum_i, ascending, stays below 1 - --variance; "
            + "written as FILE's -connections.safetensors for `retrain --from`) or none (default: ${DEFAULT-VALUE})")
    String connections = "prune";

    @Option(names = "--retrain", paramLabel = "MODE", description = "then train the widths once: scratch-e or scratch-b (as `retrain`; "
            + "finetune needs the pruned weights, which a width alone does not give)")
    String retrain;

    @Option(names = "--retrain-out", description = "the retrained run's folder (default: runs/<RUN's folder name>-pca-<MODE>)")
    Path retrainOut;

    @Option(names = "--device", description = "auto, cpu, cuda (GPU 0) or cuda:N (default: ${DEFAULT-VALUE})")
    String device = "auto";

    @Option(names = "--no-progress", description = "No progress bar (of the retraining)")
    boolean noProgress;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        RetrainMode mode = retrain == null ? null : RetrainMode.parse(retrain);
        if (mode == RetrainMode.FINETUNE) {
            throw new IllegalArgumentException("--retrain finetune: the PCA gives widths, not the pruned weights to fine-tune; use scratch-e or scratch-b");
        }
        if (!(variance > 0 && variance <= 1)) throw new IllegalArgumentException("--variance must be in (0, 1], got " + variance);
        if (samples < 2) throw new IllegalArgumentException("--samples must be >= 2 (a covariance needs two observations), got " + samples);
        if (!connections.equals("prune") && !connections.equals("none")) {
            throw new IllegalArgumentException("--connections " + connections + ": use prune or none");
        }
        Backends.checkDevice(device);
        RetrainSource source = RetrainSource.resolve(from);
        String name = String.valueOf(from.toAbsolutePath().normalize().getFileName());
        Path file = (out != null ? out : Path.of("runs", name + "-pca-widths.json")).toAbsolutePath();
        if (!file.getFileName().toString().endsWith(".json")) throw new IllegalArgumentException("--out " + out + ": an architecture file ends in .json");
        Path dir = retrainOut != null ? retrainOut : Path.of("runs", name + "-pca-" + (mode == null ? "" : mode.option()));
        if (mode != null) source.refuseAsOutput(dir);
        RunConfig recipe = TrainCommand.configFrom(source.recipeCheckpoint(), dir);
        TrainTest data = Datasets.load(recipe.dataset(), recipe.dataDir(), recipe.seed(), recipe.trainLimit(), recipe.testLimit());
        PcaWidths.Outcome o;
        try (Backend backend = Backends.open(device, System.err)) {
            o = PcaWidths.run(source.weights(), data, recipe.seed(), samples, variance, backend, connections.equals("prune"));
        }
        write(file, o);
        report(o, variance, file, System.out);
        if (!o.connections().isEmpty()) {
            Path masked = connectionsFile(file);
            PcaConnections.write(source.weights(), o.connections(), masked);
            o.connectionCounts().forEach((layer, count) -> System.out.printf(Locale.ROOT, "  connections %-12s %s%n", layer, count));
            System.out.println("wrote " + masked + " (the trained weights under the connection mask); retrain it: sparsestep retrain --from "
                    + masked + " --mode finetune|scratch-e|scratch-b");
        }
        if (mode == null) return 0;
        RetrainOptions options = new RetrainOptions(null, null, null, null, null, null, null, null, device, !noProgress);
        RetrainPlan plan = RetrainPlan.of(mode, source.weights(), new Structure(o.after(), null), file.toString(), recipe, source.recipe(),
                options, dir, dir.resolve(RetrainCommand.INIT_FILE).toAbsolutePath());
        Map<String, Object> provenance = new LinkedHashMap<>(plan.provenance());
        provenance.put("widths_from", "pca-widths " + file + " (variance " + variance + ", " + o.samples() + " samples)");
        RetrainCommand.run(plan, o.after(), TrainCommand.commandLine(spec), provenance);
        return 0;
    }

    /** The architecture, then its report beside it ({@code x.json} -> {@code x-report.json}). */
    static void write(Path file, PcaWidths.Outcome o) {
        try {
            if (file.getParent() != null) Files.createDirectories(file.getParent());
            byte[] arch = o.after().toJson().getBytes(StandardCharsets.UTF_8);
            AtomicFiles.write(file, s -> s.write(arch));
            List<Map<String, Object>> layers = o.layers().stream().map(PcaWidthsCommand::layerReport).toList();
            Map<String, Object> root = new LinkedHashMap<>();
            root.put("architecture", file.toString());
            root.put("samples", o.samples());
            root.put("activations", "ReLU outputs after the layer (and its batch norm), evaluation mode; conv: channels, spatial positions as observations");
            root.put("layers", layers);
            byte[] report = JSON.writeValueAsBytes(root);
            AtomicFiles.write(reportFile(file), s -> s.write(report));
        } catch (IOException e) {
            throw new UncheckedIOException(e instanceof DiskFullException ? e.getMessage() : "cannot write " + file + ": " + e.getMessage(), e);
        }
    }

    /** {@code x.json} -> {@code x-connections.safetensors}. */
    static Path connectionsFile(Path file) {
        String n = file.getFileName().toString();
        return file.resolveSibling(n.substring(0, n.length() - ".json".length()) + "-connections.safetensors");
    }

    static Path reportFile(Path file) {
        String n = file.getFileName().toString();
        return file.resolveSibling(n.substring(0, n.length() - ".json".length()) + "-report.json");
    }

    private static Map<String, Object> layerReport(PcaWidths.LayerWidth l) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("layer", l.layer());
        m.put("width", l.width());
        m.put("pca_width", l.newWidth());
        if (l.pca() == null) {
            m.put("kept_because", l.kept());
        } else {
            m.put("explained", l.pca().explained());
            m.put("eigenvalues", Arrays.stream(l.pca().eigenvalues()).boxed().toList());
            m.put("kept_units", Arrays.stream(l.pca().kept()).boxed().toList());
        }
        return m;
    }

    static void report(PcaWidths.Outcome o, double variance, Path file, PrintStream log) {
        log.printf(Locale.ROOT, "PCA widths of %s over %d training images, variance share %s:%n", o.before().model(), o.samples(), variance);
        for (PcaWidths.LayerWidth l : o.layers()) {
            if (l.pca() == null) log.printf(Locale.ROOT, "  %-24s %5d -> %5d  (kept: %s)%n", l.layer(), l.width(), l.width(), l.kept());
            else log.printf(Locale.ROOT, "  %-24s %5d -> %5d  (explains %.4f)%n", l.layer(), l.width(), l.newWidth(), l.pca().explained());
        }
        log.println("wrote " + file + " and " + reportFile(file) + "; train on it: sparsestep train --widths " + file);
    }
}
