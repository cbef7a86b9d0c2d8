package io.sparsestep.train.experiment;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.sparsestep.data.Datasets;
import io.sparsestep.store.AtomicFiles;
import io.sparsestep.train.compare.MethodOutcome;
import io.sparsestep.train.imp.ImpReport;
import io.sparsestep.train.imp.ImpRound;
import io.sparsestep.train.io.AccuracyBarChart;
import io.sparsestep.train.io.ParetoChart;
import io.sparsestep.train.io.SparsestepVersion;
import io.sparsestep.train.io.SparsityCurveChart;
import io.sparsestep.train.masks.LayerSimilarity;
import io.sparsestep.train.masks.MaskSimilarity;
import io.sparsestep.train.masks.SimilarityPng;
import io.sparsestep.train.masks.SimilarityTable;
import io.sparsestep.train.retrain.RetrainSource;
import io.sparsestep.train.retrain.Structure;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The top-level files of a prune-retrain experiment, each written atomically:
 * {@value #JSON} (its identity first, with {@code "status": "running"}, so a folder holding a
 * stopped experiment says which; then every part's results), {@value #MARKDOWN} (all tables),
 * {@value #IMP_PNG} (test accuracy against sparsity per IMP round, rewinding and
 * reinitialisation on one chart), {@value #MASKS_PNG} (the Jaccard heat map with its chance
 * levels) and, for ResNet-20, {@value #RETRAIN_PNG} (the retrains' test accuracy as bars).
 */
public final class ExperimentReport {
    public static final String JSON = "experiment.json", MARKDOWN = "experiment.md", IMP_PNG = "imp.png", MASKS_PNG = "masks.png",
            RETRAIN_PNG = "retrain.png";
    /** What a finished experiment writes besides its JSON (cleared when one starts, so a stopped one leaves no stale table). */
    public static final List<String> RESULT_FILES = List.of(MARKDOWN, IMP_PNG, MASKS_PNG, RETRAIN_PNG);
    private static final ObjectMapper MAPPER = JsonMapper.builder().enable(SerializationFeature.INDENT_OUTPUT).build();

    private ExperimentReport() {}

    /**
     * Empty when {@code plan.out()} may hold this experiment (no experiment.json, or one of the
     * same identity), else why not, naming the first option that differs.
     */
    public static Optional<String> conflict(PruneRetrainPlan plan) {
        Path file = plan.out().resolve(JSON);
        if (!Files.isRegularFile(file)) return Optional.empty();
        return ImpReport.configConflict(file, plan.identity(), plan.out() + " holds a prune-retrain experiment of other options");
    }

    /** experiment.json before the first run: the identity and the plan, status running. */
    public static void started(PruneRetrainPlan plan, String commandLine) throws IOException {
        writeJson(plan, header(plan, commandLine, "running"));
    }

    /** Every file, from the finished parts. */
    public static String finished(PruneRetrainPlan plan, PruneRetrainExperiment.Result r, String device, String commandLine, double seconds)
            throws IOException {
        Map<String, Object> json = header(plan, commandLine, "finished");
        json.put("device", device);
        json.put("seconds", seconds);
        json.put("imp", r.imp());
        json.put("masks", masksJson(plan, r));
        List<RetrainRow> rows = retrainRows(plan, r);
        if (plan.size().hasRetrain()) {
            Map<String, Object> c = new LinkedHashMap<>();
            c.put("shrink", r.shrink());
            c.put("macs_rule", "multiply-adds per sample of the conv/linear layers, counting only kept (mask) weights");
            c.put("runs", rows);
            json.put("rethinking", c);
        }
        String md = markdown(plan, r, rows, device, commandLine, seconds);
        AtomicFiles.write(plan.out().resolve(MARKDOWN), o -> o.write(md.getBytes(StandardCharsets.UTF_8)));
        impChart(plan, r);
        SimilarityPng.write(r.pairs(), plan.out().resolve(MASKS_PNG));
        if (!rows.isEmpty()) {
            AccuracyBarChart.write(plan.out().resolve(RETRAIN_PNG), plan.model() + " on " + plan.size().dataset()
                    + ": L1 filter pruning, then fine-tune vs Scratch-E vs Scratch-B", rows.stream().map(x -> new AccuracyBarChart.Bar(x.run(),
                    x.testAccuracy())).toList());
        }
        // last: a folder whose experiment.json says finished has every other file
        writeJson(plan, json);
        return md;
    }

    private static Map<String, Object> header(PruneRetrainPlan plan, String commandLine, String status) {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("experiment", "prune-retrain");
        json.put("config", plan.identity());
        json.put("status", status);
        json.put("model", plan.model());
        json.put("size", plan.size());
        json.put("imp_target_sparsity", plan.size().impTarget());
        json.put("sparsity_counts", "conv/linear weights (biases and batch norm are never pruned)");
        json.put("command_line", commandLine);
        json.put("sparsestep_version", SparsestepVersion.get());
        return json;
    }

    private static void writeJson(PruneRetrainPlan plan, Map<String, Object> json) throws IOException {
        Files.createDirectories(plan.out());
        byte[] bytes = MAPPER.writeValueAsBytes(json);
        AtomicFiles.write(plan.out().resolve(JSON), o -> {
            o.write(bytes);
            o.write('\n');
        });
    }

    private static Map<String, Object> masksJson(PruneRetrainPlan plan, PruneRetrainExperiment.Result r) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("target_sparsity", plan.size().impTarget());
        m.put("rule", "GSM --ratio 1 - target (global), GMP --final-sparsity target (per layer), gRDA --c " + plan.size().grdaC()
                + " (its sparsity is what the run gives), IMP --reset rewind's last round");
        List<Map<String, Object>> runs = new ArrayList<>();
        for (MethodOutcome o : r.methods()) {
            Map<String, Object> x = new LinkedHashMap<>();
            x.put("method", o.method());
            x.put("folder", o.config().out().toString());
            x.put("status", o.status().words());
            if (o.finished()) {
                x.put("test_accuracy", o.summary().testAccuracy());
                x.put("sparsity", o.mask().sparsity());
                x.put("mask", o.mask().source().words());
            } else {
                x.put("failure", o.failure());
            }
            runs.add(x);
        }
        m.put("runs", runs);
        m.put("sparsity", r.masks().stream().collect(LinkedHashMap::new, (a, k) -> a.put(k.label(), k.sparsity()), Map::putAll));
        List<Map<String, Object>> pairs = new ArrayList<>();
        for (MaskSimilarity.Pair p : r.pairs()) {
            LayerSimilarity o = p.overall();
            pairs.add(Map.of("a", p.a().label(), "b", p.b().label(), "jaccard", o.jaccard(), "chance", o.chance(), "density_a", o.densityA(),
                    "density_b", o.densityB()));
        }
        m.put("overall", pairs);
        return m;
    }

    /** One row of the Rethinking table. */
    public record RetrainRow(String run, String status, double testAccuracy, long macs, long parameters, int epochs, String lr, String folder) {}

    private static List<RetrainRow> retrainRows(PruneRetrainPlan plan, PruneRetrainExperiment.Result r) {
        Datasets.Shape shape = Datasets.shape(plan.size().dataset());
        List<RetrainRow> rows = new ArrayList<>();
        for (PruneRetrainExperiment.RetrainRun x : r.retrains()) {
            Structure s = RetrainSource.resolve(x.dir()).structure();
            Map<String, Object> h = x.summary().hyperparameters();
            Object milestones = h.get("retrain") instanceof Map<?, ?> p ? p.get("milestones") : null;
            String lr = h.get("lr") + " " + h.get("lr_schedule") + (milestones instanceof List<?> l && !l.isEmpty() ? " x0.1 after " + l : "");
            rows.add(new RetrainRow(x.name(), x.status(), x.summary().testAccuracy(), s.macs(shape), s.parameters(shape), x.summary().epochs(), lr,
                    x.dir().toString()));
        }
        return rows;
    }

    private static void impChart(PruneRetrainPlan plan, PruneRetrainExperiment.Result r) throws IOException {
        LinkedHashMap<String, List<ParetoChart.Point>> curves = new LinkedHashMap<>();
        r.imp().forEach((reset, rounds) -> curves.put("IMP --reset " + reset,
                rounds.stream().map(x -> new ParetoChart.Point("round " + x.round(), x.sparsity(), x.testAccuracy())).toList()));
        SparsityCurveChart.write(plan.out().resolve(IMP_PNG), String.format(Locale.ROOT, "%s on %s: IMP rewind vs reinit, --fraction %s, %d epochs a round",
                        plan.model(), plan.size().dataset(), plan.size().impFraction(), plan.size().impEpochs()),
                String.format(Locale.ROOT, "sparsity (share of the %,d conv/linear weights pruned, mask)", r.imp().get("rewind").getFirst().prunableWeights()),
                curves);
    }

    static String markdown(PruneRetrainPlan plan, PruneRetrainExperiment.Result r, List<RetrainRow> rows, String device, String commandLine,
                           double seconds) {
        StringBuilder b = new StringBuilder();
        b.append("# Prune-retrain experiment: ").append(plan.model()).append(" on ").append(plan.size().dataset()).append("\n\n");
        b.append("- size ").append(plan.size().describe()).append("; seed ").append(plan.seed()).append('\n');
        b.append("- `").append(commandLine).append("` on ").append(device).append(String.format(Locale.ROOT, ", %.0f s%n", seconds));
        b.append("- sparsity: the share of the conv/linear weights pruned, by each run's mask (gRDA: its exact zeros)\n\n");

        b.append("## IMP: rewinding vs reinitialisation\n\n");
        b.append(String.format(Locale.ROOT, "L1, unstructured, per layer, --fraction %s of the remaining each round (k = round_half_even(fraction "
                + "x remaining)); %d epochs a round, momentum SGD lr 0.01 with the mask fixed. Chart: %s.%n%n", plan.size().impFraction(),
                plan.size().impEpochs(), IMP_PNG));
        b.append(impTable(r.imp())).append('\n');

        b.append("## Mask similarity at equal sparsity\n\n");
        b.append(String.format(Locale.ROOT, "Target: IMP's last round, 1 - (1 - %s)^%d = %.4f. GSM keeps --ratio %.4f of the weights (global), "
                + "GMP prunes every layer to %.4f; gRDA's sparsity follows its --c %s and the run, so each mask's own sparsity is listed and the "
                + "chance column accounts for the differences. Heat map: %s.%n%n", plan.size().impFraction(), plan.size().impRounds() - 1,
                plan.size().impTarget(), 1 - plan.size().impTarget(), plan.size().impTarget(), plan.size().grdaC(), MASKS_PNG));
        for (MethodOutcome o : r.methods()) {
            if (!o.finished()) b.append("- ").append(o.method()).append(": failed: ").append(o.failure()).append('\n');
        }
        b.append(maskTable(plan, r)).append('\n').append(SimilarityTable.markdown(r.pairs())).append('\n').append(SimilarityTable.NOTE).append("\n\n");

        if (!rows.isEmpty()) {
            b.append("## Rethinking: fine-tune vs Scratch-E vs Scratch-B\n\n");
            b.append("L1 filter pruning of every block's first conv (Li et al.'s ResNet rule), then `shrink`: ").append(r.shrink())
                    .append(". The retrains follow `retrain`'s rules (ALGORITHMS.md 8.1) with E the L1 run's epochs. Chart: ")
                    .append(RETRAIN_PNG).append(".\n\n");
            b.append("| run | this command | test accuracy | MACs per sample (kept weights) | parameters (kept) | epochs | lr |\n");
            b.append("|---|---|---:|---:|---:|---:|---|\n");
            for (RetrainRow x : rows) {
                b.append(String.format(Locale.ROOT, "| %s | %s | %.4f | %,d | %,d | %d | %s |%n", x.run(), x.status(), x.testAccuracy(), x.macs(),
                        x.parameters(), x.epochs(), x.lr()));
            }
            b.append('\n');
        }
        return b.toString();
    }

    /** Each compared mask: its run's test accuracy, its own sparsity and where it is. */
    static String maskTable(PruneRetrainPlan plan, PruneRetrainExperiment.Result r) {
        StringBuilder b = new StringBuilder("| mask | test accuracy | sparsity | kept weights | epochs | run |\n|---|---:|---:|---:|---:|---|\n");
        for (MethodOutcome o : r.methods()) {
            if (!o.finished()) continue;
            b.append(String.format(Locale.ROOT, "| %s (%s) | %.4f | %.4f | %,d of %,d | %d | %s |%n", o.method(), o.mask().source().words(),
                    o.summary().testAccuracy(), o.mask().sparsity(), o.mask().kept(), o.mask().size(), o.summary().epochs(), o.config().out()));
        }
        ImpRound last = r.imp().get("rewind").getLast();
        b.append(String.format(Locale.ROOT, "| imp-rewind (round %d's mask) | %.4f | %.4f | %,d of %,d | %d a round | %s |%n", last.round(),
                last.testAccuracy(), last.sparsity(), last.keptWeights(), last.prunableWeights(), plan.size().impEpochs(),
                plan.impLastRound("rewind")));
        return b.toString();
    }

    /** Both IMP runs side by side, a row per round. */
    static String impTable(Map<String, List<ImpRound>> imp) {
        List<ImpRound> rewind = imp.get("rewind"), reinit = imp.get("reinit");
        StringBuilder b = new StringBuilder("| round | rewind: sparsity | rewind: kept weights | rewind: test accuracy | reinit: sparsity | "
                + "reinit: test accuracy |\n|---:|---:|---:|---:|---:|---:|\n");
        for (int i = 0; i < Math.max(rewind.size(), reinit.size()); i++) {
            ImpRound a = i < rewind.size() ? rewind.get(i) : null, c = i < reinit.size() ? reinit.get(i) : null;
            b.append(String.format(Locale.ROOT, "| %d | %s | %s | %s | %s | %s |%n", i, a == null ? "-" : f4(a.sparsity()),
                    a == null ? "-" : String.format(Locale.ROOT, "%,d", a.keptWeights()), a == null ? "-" : f4(a.testAccuracy()),
                    c == null ? "-" : f4(c.sparsity()), c == null ? "-" : f4(c.testAccuracy())));
        }
        return b.toString();
    }

    private static String f4(double v) { return String.format(Locale.ROOT, "%.4f", v); }
}
